import { NavLink, Outlet, useLocation } from 'react-router';
import { useEffect, useRef } from 'react';
import { useLiveState } from './api/live';
import { useSession } from './session';

const ACCOUNT_NAV = [
  ['/', 'Overview'],
  ['/sims', 'SIMs'],
  ['/map', 'Fleet map'],
  ['/network', 'Network statistics'],
  ['/alerts', 'Alerts'],
  ['/alert-rules', 'Alert rules'],
  ['/orders', 'Orders'],
  ['/webhooks', 'Webhooks'],
  ['/invoices', 'Invoices'],
  ['/api-keys', 'API keys'],
  ['/support', 'Support'],
  ['/users', 'Users'],
  ['/audit-log', 'Audit log'],
] as const;

const ADMIN_NAV = [
  ['/admin/accounts', 'Accounts'],
  ['/admin/stock', 'Stock'],
  ['/admin/orders', 'Orders to ship'],
  ['/admin/invoices', 'Invoices'],
  ['/admin/dead-letters', 'Dead letters'],
  ['/audit-log', 'Audit log'],
] as const;

const LIVE_LABEL = { open: 'Live', connecting: 'Connecting…', retrying: 'Reconnecting…', closed: 'Not live' } as const;

export function Layout() {
  const { identity, signOut } = useSession();
  const live = useLiveState();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  // After a navigation, focus moves to the page (screen readers announce it; keyboard users start there).
  useEffect(() => {
    main.current?.focus({ preventScroll: true });
  }, [location.pathname]);
  const nav = identity.kind === 'admin' ? ADMIN_NAV : ACCOUNT_NAV;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">simfleet</span>
        <span className="who">
          {identity.label}
          {identity.kind === 'admin' ? <span className="badge badge-admin">admin</span> : null}
        </span>
        <span className={`live live-${live}`} title="Updates arrive without reloading while live">
          {LIVE_LABEL[live]}
        </span>
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {nav.map(([to, text]) => (
            <li key={to}>
              <NavLink to={to} end={to === '/'}>
                {text}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
