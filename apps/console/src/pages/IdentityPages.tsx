// Users and the audit log come with the identity issue (#13): written against its contract
// (GET /v1/accounts/{id}/users, POST …/users invites, GET /v1/audit-log). On a server without them, the page says so.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, path, type Page } from '../api/client';
import { asProblem } from '../api/problem';
import { Card, ErrorMessage, Field, MoreButton, PageHeader, QueryView, Secret, StatusBadge } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status?: string;
  mfaEnabled?: boolean;
  lastSignInAt?: string | null;
}

interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  resource: string;
  outcome: string;
  requestId?: string;
  address?: string;
}

const NotYet = ({ what }: { what: string }) => (
  <div className="empty">
    <p>{what} are not available on this server yet: they come with user accounts (sign-in with e-mail and password).</p>
  </div>
);

export function UsersPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const users = useQuery({
    queryKey: ['users', identity.accountId],
    queryFn: ({ signal }) => api.get<Page<User>>(`/v1/accounts/${identity.accountId}/users?limit=200`, { signal }),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const invite = useMutation({
    mutationFn: () => api.post<{ user: User; inviteToken?: string; inviteUrl?: string }>(`/v1/accounts/${identity.accountId}/users`, { email, role }),
    onSuccess: () => {
      setEmail('');
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const problem = invite.error ? asProblem(invite.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  const missing = users.error && asProblem(users.error).status === 404;
  return (
    <>
      <PageHeader title="Users" subtitle="The people of your account and their roles." />
      {missing ? (
        <NotYet what="Users" />
      ) : (
        <>
          {identity.canWrite ? (
            <Card title="Invite someone">
              <form onSubmit={submit} className="inline-form" aria-label="Invite a user" noValidate>
                <Field label="E-mail" error={problem?.forField('email')}>
                  {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
                </Field>
                <Field label="Role" error={problem?.forField('role')}>
                  {(p) => (
                    <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
                      {['owner', 'admin', 'operator', 'viewer'].map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  )}
                </Field>
                <button type="submit" disabled={invite.isPending}>
                  Invite
                </button>
              </form>
              {problem && !problem.forField('email') && !problem.forField('role') ? <ErrorMessage error={problem} /> : null}
              {invite.data?.inviteUrl || invite.data?.inviteToken ? (
                <Secret label="Invite link" value={invite.data.inviteUrl ?? invite.data.inviteToken!} />
              ) : null}
            </Card>
          ) : null}
          <QueryView query={users} isEmpty={(u) => u.data.length === 0} empty={<p>No user yet.</p>}>
            {(u) => (
              <div className="table-wrap">
                <table className="data" aria-label="Users">
                  <thead>
                    <tr>
                      <th scope="col">E-mail</th>
                      <th scope="col">Name</th>
                      <th scope="col">Role</th>
                      <th scope="col">Status</th>
                      <th scope="col">2FA</th>
                    </tr>
                  </thead>
                  <tbody>
                    {u.data.map((user) => (
                      <tr key={user.id}>
                        <td>{user.email}</td>
                        <td>{user.name ?? '—'}</td>
                        <td>{user.role}</td>
                        <td>{user.status ? <StatusBadge status={user.status} /> : '—'}</td>
                        <td>{user.mfaEnabled ? 'on' : 'off'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </QueryView>
        </>
      )}
    </>
  );
}

export function AuditLogPage() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const log = useInfiniteQuery({
    queryKey: ['audit-log', actor, action],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<AuditEntry>>(path('/v1/audit-log', { actor, action, limit: 100, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  const missing = log.error && asProblem(log.error).status === 404;
  return (
    <>
      <PageHeader title="Audit log" subtitle="Who changed what, when, from where." />
      {missing ? (
        <NotYet what="The audit log and users" />
      ) : (
        <>
          <div className="toolbar">
            <label>
              Actor <input value={actor} onChange={(e) => setActor(e.target.value)} />
            </label>
            <label>
              Action <input value={action} onChange={(e) => setAction(e.target.value)} />
            </label>
          </div>
          <QueryView query={log} isEmpty={() => rows.length === 0} empty={<p>Nothing recorded.</p>}>
            {() => (
              <div className="table-wrap">
                <table className="data" aria-label="Audit log">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Resource</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Address</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((e) => (
                      <tr key={e.id}>
                        <td>{dateTime(e.at)}</td>
                        <td>{e.actor}</td>
                        <td>{e.action}</td>
                        <td>{e.resource}</td>
                        <td>{e.outcome}</td>
                        <td>{e.address ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </QueryView>
          <MoreButton hasMore={Boolean(log.hasNextPage)} loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()} />
        </>
      )}
    </>
  );
}
