import { useEffect, useRef, useState, type FormEvent } from 'react';
import { signIn, signInWithKey, type Identity } from '../api/auth';
import { api } from '../api/client';
import { asProblem, type ApiProblem } from '../api/problem';
import { ErrorMessage, Field } from '../components/ui';

/** Forgot password: the API answers the same for any e-mail, and e-mails a link when it can. */
function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [answer, setAnswer] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    try {
      setAnswer((await api.post<{ message: string }>('/v1/password-resets', { email })).message);
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return (
    <details className="key-sign-in">
      <summary>Forgot your password?</summary>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Reset a forgotten password">
        <Field label="E-mail of your user" hint="An owner of your account can also give you a reset link." error={problem?.forField('email')}>
          {(props) => <input {...props} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        {problem && !problem.forField('email') ? <ErrorMessage error={problem} /> : null}
        {answer ? <p role="status">{answer}.</p> : null}
        <button type="submit" className="secondary" disabled={!email.trim()}>
          E-mail me a reset link
        </button>
      </form>
    </details>
  );
}

export function SignInPage({ onSignIn }: { onSignIn: (identity: Identity) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [keyProblem, setKeyProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const codeInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (needsCode) codeInput.current?.focus();
  }, [needsCode]);
  useEffect(() => {
    document.title = 'Sign in · simfleet';
  }, []);

  // The signed-in app takes over at this URL and goes on to `next`.
  const done = (identity: Identity) => onSignIn(identity);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      done(await signIn(email, password, needsCode ? code : undefined));
    } catch (error) {
      const p = asProblem(error);
      // The password was right and the user has two-factor authentication: the same form asks for the code.
      if (p.type.endsWith('/mfa-required')) {
        setNeedsCode(true);
        setProblem(null);
      } else setProblem(p);
    } finally {
      setBusy(false);
    }
  };

  const submitKey = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setKeyProblem(null);
    try {
      done(await signInWithKey(key));
    } catch (error) {
      setKeyProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <h1>Sign in to simfleet</h1>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Sign in with e-mail">
        <Field label="E-mail" error={problem?.forField('email')}>
          {(props) => <input {...props} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />}
        </Field>
        <Field label="Password" error={problem?.forField('password')}>
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        {needsCode ? (
          <Field
            label="Authentication code"
            hint="The 6 digits your authenticator app shows now, or one of your recovery codes"
            error={problem?.type.endsWith('/invalid-code') ? problem.detail || problem.title : problem?.forField('code')}
          >
            {(props) => (
              <input
                {...props}
                ref={codeInput}
                autoComplete="one-time-code"
                spellCheck={false}
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
        ) : null}
        {problem &&
        !problem.forField('email') &&
        !problem.forField('password') &&
        !problem.forField('code') &&
        !problem.type.endsWith('/invalid-code') ? (
          <ErrorMessage error={problem} />
        ) : null}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <ForgotPassword />
      <details className="key-sign-in" open={Boolean(keyProblem) || undefined}>
        <summary>Use an API key instead</summary>
        <form onSubmit={(e) => void submitKey(e)} noValidate aria-label="Sign in with an API key">
          <Field
            label="API key"
            hint="An account key, or the platform admin key. Kept in this tab only."
            error={keyProblem?.forField('authorization')}
          >
            {(props) => <input {...props} type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />}
          </Field>
          {keyProblem ? <ErrorMessage error={keyProblem} /> : null}
          <button type="submit" disabled={busy || !key.trim()}>
            Sign in with the key
          </button>
        </form>
      </details>
    </main>
  );
}
