import { useState, type FormEvent } from 'react';
import { signIn, signInWithKey, type Identity } from '../api/auth';
import { asProblem, type ApiProblem } from '../api/problem';
import { ErrorMessage, Field } from '../components/ui';
import { useEffect } from 'react';

export function SignInPage({ onSignIn }: { onSignIn: (identity: Identity) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [keyProblem, setKeyProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
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
      if (p.type.endsWith('/mfa-required')) setNeedsCode(true);
      setProblem(p);
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
          <Field label="Authentication code" hint="The 6 digits your authenticator app shows, or a recovery code" error={problem?.forField('code')}>
            {(props) => <input {...props} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />}
          </Field>
        ) : null}
        {problem && !problem.forField('email') && !problem.forField('password') && !problem.forField('code') ? (
          <ErrorMessage error={problem} />
        ) : null}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
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
