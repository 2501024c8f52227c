// The people of an account (owners, or the platform admin for any account) and the platform's own admin
// users: invite with a role (a one-time link, shown once), change a role, disable, new links, 2FA reset.
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { can } from '../api/auth';
import { api, type Page } from '../api/client';
import { asProblem } from '../api/problem';
import { USER_ROLES, type OneTimeLink, type User, type UserRole } from '../api/types';
import { Card, ConfirmDialog, ErrorMessage, Field, MoreButton, PageHeader, QueryView, Secret, StatusBadge } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

const ROLE_TEXT: Record<UserRole, string> = {
  owner: 'everything, including people and sign-in rules',
  admin: 'the fleet, integrations, API keys and the audit log',
  operator: 'runs the fleet',
  viewer: 'only reads',
};

type Pending = { kind: 'role' | 'disable' | 'mfa' | 'remove'; user: User };
interface Shown {
  label: string;
  link: OneTimeLink;
}

function LinkShown({ shown }: { shown: Shown }) {
  return (
    <div className="one-time-link">
      <Secret label={shown.label} value={shown.link.url} />
      <p className="muted">
        It works once, until {dateTime(shown.link.expiresAt)}.{' '}
        {shown.link.emailSent
          ? 'It was also e-mailed.'
          : shown.link.emailError
            ? `The e-mail could not be sent (${shown.link.emailError}): pass the link on yourself.`
            : 'Pass it on yourself (no e-mail server is configured).'}
      </p>
    </div>
  );
}

/**
 * Users under `base` (`/v1/accounts/{id}/users`, or `/v1/admin/users` for the platform's admin users, who
 * have no role to choose). `roles`: what the signed-in person may grant (the API refuses anything above
 * their own anyway).
 */
export function UsersPanel({
  base,
  platform = false,
  canManage,
  roles = USER_ROLES,
  selfId,
}: {
  base: string;
  platform?: boolean;
  canManage: boolean;
  roles?: readonly UserRole[];
  selfId?: string;
}) {
  const client = useQueryClient();
  const users = useInfiniteQuery({
    queryKey: ['users', base],
    queryFn: ({ pageParam, signal }) => api.get<Page<User>>(`${base}?limit=100${pageParam ? `&cursor=${pageParam}` : ''}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<UserRole>(roles.includes('viewer') ? 'viewer' : roles[roles.length - 1]);
  const [shown, setShown] = useState<Shown | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [newRole, setNewRole] = useState<UserRole>('viewer');
  const refresh = () => void client.invalidateQueries({ queryKey: ['users', base] });

  const invite = useMutation({
    mutationFn: () => api.post<{ user: User; invite: OneTimeLink }>(base, platform ? { email: email.trim() } : { email: email.trim(), role }),
    onSuccess: (created) => {
      setEmail('');
      setShown({ label: `Invite link for ${created.user.email}`, link: created.invite });
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ user, body }: { user: User; body: Record<string, unknown> }) => api.patch<User>(`${base}/${user.id}`, body),
    onSuccess: () => {
      setPending(null);
      refresh();
    },
  });
  const link = useMutation({
    mutationFn: ({ user, what }: { user: User; what: 'invite' | 'password-reset' }) => api.post<OneTimeLink>(`${base}/${user.id}/${what}`),
    onSuccess: (created, { user, what }) => {
      setShown({ label: `${what === 'invite' ? 'New invite link' : 'Password reset link'} for ${user.email}`, link: created });
      refresh();
    },
  });
  const resetMfa = useMutation({
    mutationFn: (user: User) => api.delete<User>(`${base}/${user.id}/mfa`),
    onSuccess: () => {
      setPending(null);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (user: User) => api.delete(`${base}/${user.id}`),
    onSuccess: () => {
      setPending(null);
      refresh();
    },
  });

  const problem = invite.error ? asProblem(invite.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  const actionError = [change.error, link.error, resetMfa.error, remove.error].find(Boolean);
  const rows = users.data?.pages.flatMap((p) => p.data) ?? [];
  const close = () => {
    setPending(null);
    change.reset();
    resetMfa.reset();
    remove.reset();
  };
  const dialogError = pending && (change.error ?? resetMfa.error ?? remove.error);

  return (
    <>
      {canManage ? (
        <Card title={platform ? 'Invite a platform admin' : 'Invite someone'}>
          <form onSubmit={submit} className="inline-form" aria-label="Invite a user" noValidate>
            <Field label="E-mail" error={problem?.forField('email')}>
              {(p) => <input {...p} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
            </Field>
            {platform ? null : (
              <Field label="Role" error={problem?.forField('role')}>
                {(p) => (
                  <select {...p} value={role} onChange={(e) => setRole(e.target.value as UserRole)}>
                    {roles.map((r) => (
                      <option key={r} value={r}>
                        {r} — {ROLE_TEXT[r]}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            <button type="submit" disabled={invite.isPending || !email.trim()}>
              Invite
            </button>
          </form>
          {problem && !problem.forField('email') && !problem.forField('role') ? <ErrorMessage error={problem} /> : null}
        </Card>
      ) : null}
      {shown ? <LinkShown shown={shown} /> : null}
      {actionError && !pending ? <ErrorMessage error={actionError} /> : null}
      <QueryView query={users} isEmpty={() => rows.length === 0} empty={<p>No user yet: invite the first one.</p>}>
        {() => (
          <div className="table-wrap">
            <table className="data" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Name</th>
                  {platform ? null : <th scope="col">Role</th>}
                  <th scope="col">Status</th>
                  <th scope="col">2FA</th>
                  <th scope="col">Last sign-in</th>
                  {canManage ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((user) => (
                  <tr key={user.id} data-user={user.email}>
                    <td>
                      {user.email}
                      {user.id === selfId ? <span className="muted"> (you)</span> : null}
                    </td>
                    <td>{user.name ?? '—'}</td>
                    {platform ? null : <td>{user.role}</td>}
                    <td>
                      <StatusBadge status={user.status} />
                    </td>
                    <td>{user.mfaEnabled ? 'on' : 'off'}</td>
                    <td>{user.lastSignInAt ? dateTime(user.lastSignInAt) : 'never'}</td>
                    {canManage ? (
                      <td>
                        {user.id === selfId ? (
                          <span className="muted">Profile &amp; security</span>
                        ) : (
                          <div className="row-actions">
                            {platform ? null : (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`Change the role of ${user.email}`}
                                onClick={() => {
                                  setNewRole(user.role);
                                  setPending({ kind: 'role', user });
                                }}
                              >
                                Role…
                              </button>
                            )}
                            {user.status === 'disabled' ? (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`Enable ${user.email}`}
                                onClick={() => change.mutate({ user, body: { disabled: false } })}
                              >
                                Enable
                              </button>
                            ) : user.status === 'active' ? (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`Disable ${user.email}`}
                                onClick={() => setPending({ kind: 'disable', user })}
                              >
                                Disable
                              </button>
                            ) : null}
                            {user.status === 'invited' ? (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`New invite link for ${user.email}`}
                                onClick={() => link.mutate({ user, what: 'invite' })}
                              >
                                New invite link
                              </button>
                            ) : null}
                            {user.status === 'active' ? (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`Password reset link for ${user.email}`}
                                onClick={() => link.mutate({ user, what: 'password-reset' })}
                              >
                                Reset password
                              </button>
                            ) : null}
                            {user.mfaEnabled ? (
                              <button
                                type="button"
                                className="secondary small"
                                aria-label={`Reset the two-factor authentication of ${user.email}`}
                                onClick={() => setPending({ kind: 'mfa', user })}
                              >
                                Reset 2FA
                              </button>
                            ) : null}
                            <button
                              type="button"
                              className="secondary small"
                              aria-label={`Remove ${user.email}`}
                              onClick={() => setPending({ kind: 'remove', user })}
                            >
                              Remove
                            </button>
                          </div>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <MoreButton hasMore={Boolean(users.hasNextPage)} loading={users.isFetchingNextPage} onClick={() => void users.fetchNextPage()} />

      <ConfirmDialog
        open={pending?.kind === 'role'}
        title={`Change the role of ${pending?.user.email ?? ''}`}
        confirmLabel="Change the role"
        busy={change.isPending}
        onConfirm={() => pending && change.mutate({ user: pending.user, body: { role: newRole } })}
        onCancel={close}
      >
        <Field label="New role" error={dialogError ? asProblem(dialogError).forField('role') : undefined}>
          {(p) => (
            <select {...p} value={newRole} onChange={(e) => setNewRole(e.target.value as UserRole)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r} — {ROLE_TEXT[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p className="muted">It takes effect at their next request.</p>
        {dialogError ? <ErrorMessage error={dialogError} /> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'disable'}
        title={`Disable ${pending?.user.email ?? ''}?`}
        confirmLabel="Disable"
        danger
        busy={change.isPending}
        onConfirm={() => pending && change.mutate({ user: pending.user, body: { disabled: true } })}
        onCancel={close}
      >
        <p>They are signed out everywhere at once and cannot sign in until enabled again. What they did stays in the audit log.</p>
        {dialogError ? <ErrorMessage error={dialogError} /> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'mfa'}
        title={`Reset the two-factor authentication of ${pending?.user.email ?? ''}?`}
        confirmLabel="Reset 2FA"
        danger
        busy={resetMfa.isPending}
        onConfirm={() => pending && resetMfa.mutate(pending.user)}
        onCancel={close}
      >
        <p>For a lost device: their authenticator and recovery codes stop working, their sessions end, and they set it up again.</p>
        {dialogError ? <ErrorMessage error={dialogError} /> : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'remove'}
        title={`Remove ${pending?.user.email ?? ''}?`}
        confirmLabel="Remove"
        danger
        busy={remove.isPending}
        onConfirm={() => pending && remove.mutate(pending.user)}
        onCancel={close}
      >
        <p>Their sessions end and the user is gone; the audit log keeps what they did. This cannot be undone.</p>
        {dialogError ? <ErrorMessage error={dialogError} /> : null}
      </ConfirmDialog>
    </>
  );
}

/** Roles one may grant: one's own and those below (a key or the platform admin: any, as the API decides). */
export function grantableRoles(role: string | undefined): readonly UserRole[] {
  const own = USER_ROLES.indexOf(role as UserRole);
  return own < 0 ? USER_ROLES : USER_ROLES.slice(own);
}

export function UsersPage() {
  const { identity } = useSession();
  return (
    <>
      <PageHeader title="Users" subtitle="The people of your account, their roles and their sign-in." />
      {identity.accountId ? (
        <UsersPanel
          base={`/v1/accounts/${identity.accountId}/users`}
          canManage={can(identity, 'users')}
          roles={grantableRoles(identity.kind === 'account' && identity.via === 'session' ? identity.role : undefined)}
          selfId={identity.userId}
        />
      ) : (
        <p>No account.</p>
      )}
    </>
  );
}

export function AdminUsersPage() {
  const { identity } = useSession();
  return (
    <>
      <PageHeader title="Admin users" subtitle="The people who run the platform (an account’s users are on its page)." />
      <UsersPanel base="/v1/admin/users" platform canManage selfId={identity.userId} />
    </>
  );
}
