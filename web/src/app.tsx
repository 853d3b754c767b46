import { NavLink, Route, Routes, useNavigate } from 'react-router';
import { AdminEditPage } from './pages/admin/admin-edit-page';
import { AdminPage } from './pages/admin/admin-page';
import { AdminReportPage } from './pages/admin/admin-report-page';
import { AuthPage } from './pages/auth-page';
import { ConcertListPage } from './pages/concert-list-page';
import { ConcertPage } from './pages/concert-page';
import { MyTicketsPage } from './pages/my-tickets-page';
import { ScanPage } from './pages/scan-page';
import { useSession } from './session/session';

export function App() {
  const { user, signOut } = useSession();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <NavLink to="/" className="brand">
          Concert tickets
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Concerts
          </NavLink>
          {user && <NavLink to="/tickets">My tickets</NavLink>}
          {user?.role === 'admin' && <NavLink to="/admin">Organiser</NavLink>}
          {(user?.role === 'staff' || user?.role === 'admin') && <NavLink to="/scan">Scan</NavLink>}
          {user && (
            <span className="signed-in" data-testid="signed-in-as">
              Signed in as {user.name}
            </span>
          )}
          {user ? (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                signOut();
                navigate('/');
              }}
            >
              Log out <span className="visually-hidden">{user.name}</span>
            </button>
          ) : (
            <>
              <NavLink to="/login">Log in</NavLink>
              <NavLink to="/signup">Sign up</NavLink>
            </>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<ConcertListPage />} />
          <Route path="/concerts/:id" element={<ConcertPage />} />
          <Route path="/login" element={<AuthPage key="login" mode="login" />} />
          <Route path="/signup" element={<AuthPage key="signup" mode="signup" />} />
          <Route path="/tickets" element={<MyTicketsPage />} />
          <Route path="/admin" element={<AdminPage />} />
          <Route path="/admin/concerts/:id" element={<AdminEditPage />} />
          <Route path="/admin/reports" element={<AdminReportPage />} />
          <Route path="/scan" element={<ScanPage />} />
          <Route path="*" element={<p role="alert">There is no page here.</p>} />
        </Routes>
      </main>
    </>
  );
}
