// The pages a person opens from a one-time link: accepting an invite (choose a password, signed in at once)
// and resetting a password. The token rides in the URL's fragment (`#token=…`), which browsers never send to
// a server; the console sends it in request bodies only (docs/identity.md).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { sessionStarted, type Identity, type SessionBody } from '../api/auth';
import { api } from '../api/client';
import { asProblem, ApiProblem } from '../api/problem';
import { ErrorMessage, Field, Loading } from '../components/ui';
import { dateTime } from '../format';

const tokenOfLink = (): string => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';

interface InviteInfo {
  email: string;
  role: string;
  accountId: string | null;
  accountName: string | null;
  expiresAt: string;
}

function LinkPage({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · simfleet`;
  }, [title]);
  return (
    <main className="sign-in" id="main">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

/** Password and its confirmation; the API states the rules (minimum length) and the console shows its answer. */
function NewPassword({
  password,
  confirm,
  setPassword,
  setConfirm,
  error,
  mismatch,
}: {
  password: string;
  confirm: string;
  setPassword: (v: string) => void;
  setConfirm: (v: string) => void;
  error?: string;
  mismatch: boolean;
}) {
  return (
    <>
      <Field label="Password" hint="Long is strong: a passphrase of several words is easiest to remember" error={error}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      <Field label="Password again" error={mismatch ? 'the two passwords differ' : undefined}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
      </Field>
    </>
  );
}

export function AcceptInvitePage({ onSignIn }: { onSignIn: (identity: Identity) => void }) {
  const [token] = useState(tokenOfLink);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const invite = useQuery({
    queryKey: ['invite', token],
    queryFn: () => api.post<InviteInfo>('/v1/invites/inspect', { token }),
    enabled: token !== '',
    retry: false,
  });
  const accept = useMutation({
    mutationFn: () => api.post<SessionBody>('/v1/invites/accept', { token, password, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: (body) => {
      // Signed in: the console starts afresh at its home page (the used link leaves the address bar and history).
      window.history.replaceState(null, '', '/');
      onSignIn(sessionStarted(body));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) accept.mutate();
  };
  const problem = accept.error ? asProblem(accept.error) : null;
  if (!token) {
    return (
      <LinkPage title="Accept the invite">
        <ErrorMessage error={new ApiProblem(0, 'This link has no invite in it', 'Open the whole link from the invite, or ask for a new one.')} />
      </LinkPage>
    );
  }
  return (
    <LinkPage title="Accept the invite">
      {invite.isPending ? <Loading label="Reading the invite…" /> : null}
      {invite.error ? (
        <>
          <ErrorMessage error={invite.error} />
          <p>
            Ask whoever invited you for a new link, or <Link to="/sign-in">sign in</Link> if you already accepted it.
          </p>
        </>
      ) : null}
      {invite.data ? (
        <form onSubmit={submit} noValidate aria-label="Accept the invite">
          <p>
            <strong>{invite.data.email}</strong> is invited to <strong>{invite.data.accountName ?? 'the platform'}</strong> as{' '}
            <strong>{invite.data.role}</strong>. The link works once, until {dateTime(invite.data.expiresAt)}.
          </p>
          <Field label="Your name" hint="Optional: shown to your colleagues" error={problem?.forField('name')}>
            {(p) => <input {...p} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <NewPassword
            password={password}
            confirm={confirm}
            setPassword={setPassword}
            setConfirm={setConfirm}
            error={problem?.forField('password')}
            mismatch={mismatch}
          />
          {problem && !problem.forField('password') && !problem.forField('name') ? <ErrorMessage error={problem} /> : null}
          <button type="submit" disabled={accept.isPending}>
            Set the password and sign in
          </button>
        </form>
      ) : null}
    </LinkPage>
  );
}

export function ResetPasswordPage() {
  const [token] = useState(tokenOfLink);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const reset = useMutation({
    mutationFn: () => api.post<void>('/v1/password-resets/accept', { token, password }),
    onSuccess: () => window.history.replaceState(null, '', '/reset-password'),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) reset.mutate();
  };
  const problem = reset.error ? asProblem(reset.error) : null;
  if (reset.isSuccess) {
    return (
      <LinkPage title="Choose a new password">
        <p role="status">
          Your password is set, and every session you had has ended. <Link to="/sign-in">Sign in</Link> with the new password.
        </p>
      </LinkPage>
    );
  }
  return (
    <LinkPage title="Choose a new password">
      {!token ? (
        <ErrorMessage error={new ApiProblem(0, 'This link has no reset token in it', 'Open the whole link, or ask for a new one.')} />
      ) : (
        <form onSubmit={submit} noValidate aria-label="Choose a new password">
          <NewPassword
            password={password}
            confirm={confirm}
            setPassword={setPassword}
            setConfirm={setConfirm}
            error={problem?.forField('password')}
            mismatch={mismatch}
          />
          {problem && !problem.forField('password') ? <ErrorMessage error={problem} /> : null}
          <button type="submit" disabled={reset.isPending}>
            Set the password
          </button>
        </form>
      )}
    </LinkPage>
  );
}
