import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/status';
import { useSession } from '../session/session';

/** Log in, or sign up (`mode`), then go back where the fan came from. */
export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { api, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = params.get('next')?.startsWith('/') ? (params.get('next') as string) : '/';
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const signingUp = mode === 'signup';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = signingUp
        ? await api.register({ name, email, password })
        : await api.login({ email, password });
      signIn(session);
      navigate(session.user.role === 'admin' && next === '/' ? '/admin' : next);
    } catch (cause) {
      setError(describeError(cause));
    } finally {
      setBusy(false);
    }
  }

  const title = signingUp ? 'Sign up' : 'Log in';
  const other = signingUp
    ? { to: '/login', text: 'Already have an account? Log in' }
    : { to: '/signup', text: 'New here? Sign up' };
  return (
    <form className="panel narrow" onSubmit={submit} aria-labelledby="auth-heading">
      <h1 id="auth-heading">{title}</h1>
      {signingUp && (
        <>
          <label htmlFor="name">Name</label>
          <input
            id="name"
            autoComplete="name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </>
      )}
      <label htmlFor="email">E-mail</label>
      <input
        id="email"
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <label htmlFor="password">Password{signingUp ? ' (at least 8 characters)' : ''}</label>
      <input
        id="password"
        type="password"
        autoComplete={signingUp ? 'new-password' : 'current-password'}
        required
        minLength={signingUp ? 8 : 1}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Please wait…' : title}
      </button>
      <Notice kind="error">{error}</Notice>
      <p>
        <Link to={`${other.to}?next=${encodeURIComponent(next)}`}>{other.text}</Link>
      </p>
    </form>
  );
}
