import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Notice } from '../components/status';
import { useAction } from '../components/use-action';
import { useSession } from '../session/session';

/** Where to go after signing in: a path of this site only ("//host" and "/\\host" are other sites). */
function samePagePath(next: string | null): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** Log in, or sign up (`mode`), then go back where the fan came from. */
export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { api, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = samePagePath(params.get('next'));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const signingUp = mode === 'signup';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const session = await run(() =>
      signingUp ? api.register({ name, email, password }) : api.login({ email, password }),
    );
    if (!session) return;
    signIn(session);
    const home = { admin: '/admin', staff: '/scan', customer: '/' } as const;
    navigate(next === '/' ? home[session.user.role] : next);
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
