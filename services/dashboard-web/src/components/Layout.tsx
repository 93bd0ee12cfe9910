import { NavLink, Outlet } from 'react-router';
import { useSession } from '../session.js';

/** Landmarks (banner, navigation, main) and a skip link, on every page. */
export function Layout() {
  const { session, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="banner">
        <span className="brand">Outpost</span>
        {session ? (
          <>
            <nav aria-label="Main">
              <ul>
                <li>
                  <NavLink to="/runs">Runs</NavLink>
                </li>
                <li>
                  <NavLink to="/dispatch">Dispatch</NavLink>
                </li>
                <li>
                  <NavLink to="/fleet">Fleet</NavLink>
                </li>
              </ul>
            </nav>
            <span className="who">
              <span className="tenant" title="Tenant">
                {session.tenantId}
              </span>
              <button type="button" onClick={() => void signOut()}>
                Sign out
              </button>
            </span>
          </>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
