// A signed-in person's own settings: profile, password, two-factor authentication (TOTP, RFC 6238) with
// recovery codes, signing out everywhere; and, for owners, the account's rule that everyone uses 2FA.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import qrcode from 'qrcode-generator';
import { useMemo, useState, type FormEvent } from 'react';
import { can, mustEnrolMfa } from '../api/auth';
import { api, download } from '../api/client';
import { asProblem } from '../api/problem';
import type { User } from '../api/types';
import { Card, ConfirmDialog, ErrorMessage, Field, PageHeader, QueryView } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

/** The otpauth URI as a QR code for the authenticator app's camera, drawn as SVG from the code's modules. */
function QrCode({ text }: { text: string }) {
  const { size, path } = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    const count = qr.getModuleCount();
    let d = '';
    for (let row = 0; row < count; row += 1) for (let col = 0; col < count; col += 1) if (qr.isDark(row, col)) d += `M${col + 4},${row + 4}h1v1h-1z`;
    return { size: count + 8, path: d };
  }, [text]);
  return (
    <div className="qr">
      <svg viewBox={`0 0 ${size} ${size}`} role="img" aria-label="QR code to scan with an authenticator app" shapeRendering="crispEdges">
        <rect width={size} height={size} fill="#fff" />
        <path d={path} fill="#000" />
      </svg>
    </div>
  );
}

const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => api.post<void>('/v1/users/me/password', { currentPassword: current, newPassword: next }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setAgain('');
    },
  });
  const problem = change.error ? asProblem(change.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.reset();
    setMismatch(next !== again);
    if (next === again) change.mutate();
  };
  return (
    <Card title="Password">
      <form onSubmit={submit} noValidate aria-label="Change the password" className="stack-form">
        <Field label="Current password" error={problem?.forField('currentPassword')}>
          {(p) => <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
        </Field>
        <Field label="New password" error={problem?.forField('newPassword')}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        <Field label="New password again" error={mismatch ? 'the two passwords differ' : undefined}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />}
        </Field>
        {problem && !problem.forField('currentPassword') && !problem.forField('newPassword') ? <ErrorMessage error={problem} /> : null}
        {change.isSuccess ? <p role="status">Password changed. Your other sessions have ended; this one goes on.</p> : null}
        <button type="submit" disabled={change.isPending || !current || !next}>
          Change the password
        </button>
      </form>
    </Card>
  );
}

function TwoFactorCard({ me, required, onEnrolled }: { me: User; required: boolean; onEnrolled: () => void }) {
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const [offCode, setOffCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const start = useMutation({ mutationFn: () => api.post<{ secret: string; otpauthUri: string }>('/v1/users/me/mfa') });
  const confirm = useMutation({
    mutationFn: () => api.post<{ recoveryCodes: string[] }>('/v1/users/me/mfa/confirm', { code: code.trim() }),
    onSuccess: (body) => {
      setCodes(body.recoveryCodes);
      setCode('');
      start.reset();
      void client.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const disable = useMutation({
    mutationFn: () => api.delete<void>('/v1/users/me/mfa', { code: offCode.trim() }),
    onSuccess: () => {
      setOffCode('');
      void client.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const confirmProblem = confirm.error ? asProblem(confirm.error) : null;
  const disableProblem = disable.error ? asProblem(disable.error) : null;

  if (codes) {
    return (
      <Card title="Two-factor authentication is on">
        <div className="secret" role="status">
          <p>
            <strong>Recovery codes</strong> — shown once: keep them somewhere safe. Each one replaces a code from the app once, if you lose your
            phone.
          </p>
          <ol className="recovery-codes" aria-label="Recovery codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
          <div className="row-actions">
            <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(codes.join('\n'))}>
              Copy
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => download('simfleet-recovery-codes.txt', `${codes.join('\n')}\n`, 'text/plain')}
            >
              Download
            </button>
            <button
              type="button"
              onClick={() => {
                setCodes(null);
                onEnrolled();
              }}
            >
              I have saved them
            </button>
          </div>
        </div>
      </Card>
    );
  }
  if (me.mfaEnabled) {
    return (
      <Card title="Two-factor authentication">
        <p>
          <strong>On.</strong> Signing in asks for the code of your authenticator app (or a recovery code).
        </p>
        {required ? (
          <p className="muted">Your account requires it: it cannot be turned off.</p>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              disable.mutate();
            }}
            noValidate
            aria-label="Turn off two-factor authentication"
            className="inline-form"
          >
            <Field label="Code to turn it off" hint="A current code, or a recovery code" error={disableProblem?.forField('code')}>
              {(p) => <input {...p} autoComplete="one-time-code" value={offCode} onChange={(e) => setOffCode(e.target.value)} />}
            </Field>
            <button type="submit" className="secondary" disabled={disable.isPending || !offCode.trim()}>
              Turn off
            </button>
          </form>
        )}
        {disableProblem && !disableProblem.forField('code') ? <ErrorMessage error={disableProblem} /> : null}
      </Card>
    );
  }
  return (
    <Card title="Two-factor authentication">
      {!start.data ? (
        <>
          <p>
            <strong>Off.</strong> With it on, signing in also asks for a 6-digit code from an authenticator app on your phone (any app that supports
            TOTP).
          </p>
          <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
            Set up two-factor authentication
          </button>
          {start.error ? <ErrorMessage error={start.error} /> : null}
        </>
      ) : (
        <>
          <ol>
            <li>Scan the QR code with your authenticator app, or type the key into it.</li>
            <li>Enter the 6-digit code the app then shows.</li>
          </ol>
          <div className="mfa-setup">
            <QrCode text={start.data.otpauthUri} />
            <div>
              <p>
                Key:{' '}
                <span className="secret-text" data-testid="mfa-secret">
                  {grouped(start.data.secret)}
                </span>
              </p>
              <details>
                <summary>Link for the app (otpauth URI)</summary>
                <code className="otpauth" data-testid="otpauth-uri">
                  {start.data.otpauthUri}
                </code>
              </details>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  confirm.mutate();
                }}
                noValidate
                aria-label="Confirm two-factor authentication"
                className="inline-form"
              >
                <Field label="Code from the app" error={confirmProblem?.forField('code')}>
                  {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />}
                </Field>
                <button type="submit" disabled={confirm.isPending || !code.trim()}>
                  Turn on
                </button>
              </form>
              {confirmProblem && !confirmProblem.forField('code') ? <ErrorMessage error={confirmProblem} /> : null}
            </div>
          </div>
        </>
      )}
    </Card>
  );
}

/** The account's sign-in rules (owners: the `users` scope). */
function AccountRulesCard({ accountId, accountName, meHasMfa }: { accountId: string; accountName: string | null; meHasMfa: boolean }) {
  const client = useQueryClient();
  const rules = useQuery({
    queryKey: ['account-security', accountId],
    queryFn: ({ signal }) => api.get<{ mfaRequired: boolean }>(`/v1/accounts/${accountId}/security`, { signal }),
  });
  const save = useMutation({
    mutationFn: (mfaRequired: boolean) => api.put<{ mfaRequired: boolean }>(`/v1/accounts/${accountId}/security`, { mfaRequired }),
    onSuccess: (body) => client.setQueryData(['account-security', accountId], body),
  });
  return (
    <Card title={`Sign-in rules of ${accountName ?? 'the account'}`}>
      <QueryView query={rules}>
        {(r) => (
          <>
            <p>
              Two-factor authentication is <strong>{r.mfaRequired ? 'required' : 'not required'}</strong> for everyone in the account.{' '}
              {r.mfaRequired
                ? 'Someone without it can only set it up after signing in.'
                : meHasMfa
                  ? 'Requiring it leads everyone without it to set it up at their next request.'
                  : 'Turn it on for yourself first.'}
            </p>
            <button type="button" className={r.mfaRequired ? 'secondary' : ''} disabled={save.isPending} onClick={() => save.mutate(!r.mfaRequired)}>
              {r.mfaRequired ? 'Stop requiring two-factor authentication' : 'Require two-factor authentication for everyone'}
            </button>
            {save.error ? <ErrorMessage error={save.error} /> : null}
          </>
        )}
      </QueryView>
    </Card>
  );
}

export function SecurityPage() {
  const { identity, signOut, refresh } = useSession();
  const me = useQuery({ queryKey: ['me'], queryFn: ({ signal }) => api.get<User>('/v1/users/me', { signal }) });
  const [everywhere, setEverywhere] = useState(false);
  const enrolling = mustEnrolMfa(identity);
  return (
    <>
      <PageHeader title="Profile & security" subtitle="Your sign-in: password, two-factor authentication, sessions." />
      {enrolling ? (
        <div className="error" role="alert">
          <strong>Your account requires two-factor authentication</strong>
          <p>Set it up below to use the console.</p>
        </div>
      ) : null}
      <QueryView query={me}>
        {(user) => (
          <>
            <Card title="Profile">
              <dl className="facts">
                <dt>E-mail</dt>
                <dd>{user.email}</dd>
                <dt>Name</dt>
                <dd>{user.name ?? '—'}</dd>
                <dt>Role</dt>
                <dd>{identity.kind === 'admin' ? 'platform admin' : user.role}</dd>
                {identity.accountName ? (
                  <>
                    <dt>Account</dt>
                    <dd>{identity.accountName}</dd>
                  </>
                ) : null}
                <dt>Last sign-in</dt>
                <dd>{dateTime(user.lastSignInAt)}</dd>
              </dl>
            </Card>
            <TwoFactorCard me={user} required={Boolean(identity.mfaRequired)} onEnrolled={() => void (enrolling ? refresh() : undefined)} />
            {enrolling ? null : <PasswordCard />}
            {identity.kind === 'account' && identity.accountId && can(identity, 'users') && !enrolling ? (
              <AccountRulesCard accountId={identity.accountId} accountName={identity.accountName} meHasMfa={user.mfaEnabled} />
            ) : null}
          </>
        )}
      </QueryView>
      <Card title="Sessions">
        <p>Signed in on other browsers or devices too? Signing out everywhere ends every session of yours, this one included.</p>
        <button type="button" className="secondary" onClick={() => setEverywhere(true)}>
          Sign out everywhere
        </button>
      </Card>
      <ConfirmDialog
        open={everywhere}
        title="Sign out everywhere?"
        confirmLabel="Sign out everywhere"
        danger
        onConfirm={() => void signOut(true)}
        onCancel={() => setEverywhere(false)}
      >
        <p>Every browser signed in as you is signed out, this one included.</p>
      </ConfirmDialog>
    </>
  );
}
