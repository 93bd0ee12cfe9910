import { Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from '../session.js';

/** Pages behind sign-in: waits for the session probe, then shows the page or the sign-in form. */
export function RequireSession() {
  const { session } = useSession();
  const location = useLocation();
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  return <Outlet />;
}
