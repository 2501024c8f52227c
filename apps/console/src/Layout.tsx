import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useEffect, useRef } from 'react';
import { can, mustEnrolMfa, type Identity } from './api/auth';
import { useLiveState } from './api/live';
import { useSession } from './session';

type Scope = Parameters<typeof can>[1];
type NavItem = readonly [to: string, text: string, scope?: Scope];

// A menu entry shows when the signed-in role (or key) holds the scope its page needs.
const ACCOUNT_NAV: readonly NavItem[] = [
  ['/', 'Overview'],
  ['/sims', 'SIMs'],
  ['/map', 'Fleet map'],
  ['/network', 'Network statistics'],
  ['/alerts', 'Alerts'],
  ['/alert-rules', 'Alert rules'],
  ['/orders', 'Orders'],
  ['/webhooks', 'Webhooks'],
  ['/invoices', 'Invoices'],
  ['/api-keys', 'API keys', 'keys'],
  ['/support', 'Support'],
  ['/users', 'Users', 'users'],
  ['/audit-log', 'Audit log', 'audit'],
];

const ADMIN_NAV: readonly NavItem[] = [
  ['/admin/accounts', 'Accounts'],
  ['/admin/stock', 'Stock'],
  ['/admin/orders', 'Orders to ship'],
  ['/admin/invoices', 'Invoices'],
  ['/admin/dead-letters', 'Dead letters'],
  ['/admin/users', 'Admin users'],
  ['/audit-log', 'Audit log'],
];

function navOf(identity: Identity): readonly NavItem[] {
  const security: NavItem[] = identity.via === 'session' ? [['/security', 'Profile & security']] : [];
  if (mustEnrolMfa(identity)) return security;
  const items = (identity.kind === 'admin' ? ADMIN_NAV : ACCOUNT_NAV).filter(([, , scope]) => !scope || can(identity, scope));
  return [...items, ...security];
}

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
  const nav = navOf(identity);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">simfleet</span>
        <span className="who">
          {identity.via === 'session' ? <Link to="/security">{identity.label}</Link> : identity.label}
          {identity.role && identity.kind === 'account' ? <span className="badge badge-role">{identity.role}</span> : null}
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
