import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useLocation, useSearchParams } from 'react-router';
import { mustEnrolMfa, onSignedOut, restore, signOut as apiSignOut, type Identity } from './api/auth';
import { liveStream } from './api/live';
import { isProblem } from './api/problem';
import { Loading } from './components/ui';
import { Layout } from './Layout';
import { Session } from './session';
import { SignInPage } from './pages/SignInPage';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // A problem the API stated (4xx) will not change by asking again.
      retry: (failures, error) => failures < 2 && !(isProblem(error) && error.status >= 400 && error.status < 500),
    },
  },
});

/** Each page is its own chunk, loaded when first visited. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a page module's exports: the named page is a component without props
const page = (load: () => Promise<Record<string, any>>, name: string) => {
  const Component = lazy(async () => ({ default: (await load())[name] as ComponentType }));
  return (
    <Suspense fallback={<Loading label="Loading the page…" />}>
      <Component />
    </Suspense>
  );
};

function Home({ identity }: { identity: Identity }) {
  if (identity.kind === 'admin') return <Navigate to="/admin/accounts" replace />;
  return page(() => import('./pages/OverviewPage'), 'OverviewPage');
}

/** Just signed in: on to the page that asked for it. */
function AfterSignIn() {
  const [params] = useSearchParams();
  const next = params.get('next');
  return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
}

// The pages a person reaches from a one-time link (invite, password reset), signed in or not.
const AcceptInvitePage = lazy(async () => ({ default: (await import('./pages/LinkPages')).AcceptInvitePage }));
const ResetPasswordPage = lazy(async () => ({ default: (await import('./pages/LinkPages')).ResetPasswordPage }));

function linkRoutes(onSignIn: (identity: Identity) => void) {
  const fallback = <Loading label="Loading the page…" />;
  return [
    {
      path: '/invite',
      element: (
        <Suspense fallback={fallback}>
          <AcceptInvitePage onSignIn={onSignIn} />
        </Suspense>
      ),
    },
    {
      path: '/reset-password',
      element: (
        <Suspense fallback={fallback}>
          <ResetPasswordPage />
        </Suspense>
      ),
    },
  ];
}

function RequireSignIn() {
  const location = useLocation();
  return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
}

function router(identity: Identity | null, onSignIn: (identity: Identity) => void) {
  if (!identity) {
    return createBrowserRouter([
      { path: '/sign-in', element: <SignInPage onSignIn={onSignIn} /> },
      ...linkRoutes(onSignIn),
      { path: '*', element: <RequireSignIn /> },
    ]);
  }
  const security = { path: 'security', element: page(() => import('./pages/SecurityPage'), 'SecurityPage') };
  if (mustEnrolMfa(identity)) {
    // The account requires two-factor authentication: until this person turns it on, the API answers
    // nothing else, so the console leads them to the one page that does.
    return createBrowserRouter([
      ...linkRoutes(onSignIn),
      {
        path: '/',
        element: <Layout />,
        children: [
          { index: true, element: <Navigate to="/security" replace /> },
          security,
          { path: '*', element: <Navigate to="/security" replace /> },
        ],
      },
      { path: '*', element: <Navigate to="/security" replace /> },
    ]);
  }
  const admin = identity.kind === 'admin';
  const session = identity.via === 'session' ? [security] : [];
  return createBrowserRouter([
    { path: '/sign-in', element: <AfterSignIn /> },
    ...linkRoutes(onSignIn),
    {
      path: '/',
      element: <Layout />,
      children: [
        { index: true, element: <Home identity={identity} /> },
        ...(admin
          ? [
              { path: 'admin/accounts', element: page(() => import('./pages/admin/AccountsPage'), 'AccountsPage') },
              { path: 'admin/accounts/:id', element: page(() => import('./pages/admin/AccountsPage'), 'AccountDetailPage') },
              { path: 'admin/stock', element: page(() => import('./pages/admin/StockPage'), 'StockPage') },
              { path: 'admin/orders', element: page(() => import('./pages/admin/AdminOrdersPage'), 'AdminOrdersPage') },
              { path: 'admin/dead-letters', element: page(() => import('./pages/admin/DeadLettersPage'), 'DeadLettersPage') },
              { path: 'admin/users', element: page(() => import('./pages/UsersPage'), 'AdminUsersPage') },
              { path: 'admin/invoices', element: page(() => import('./pages/InvoicesPage'), 'InvoicesPage') },
              { path: 'invoices/:id', element: page(() => import('./pages/InvoicesPage'), 'InvoiceDetailPage') },
            ]
          : [
              { path: 'sims', element: page(() => import('./pages/SimsPage'), 'SimsPage') },
              { path: 'sims/:iccid', element: page(() => import('./pages/SimDetailPage'), 'SimDetailPage') },
              { path: 'map', element: page(() => import('./pages/FleetMapPage'), 'FleetMapPage') },
              { path: 'network', element: page(() => import('./pages/NetworkStatsPage'), 'NetworkStatsPage') },
              { path: 'alerts', element: page(() => import('./pages/AlertsPage'), 'AlertsPage') },
              { path: 'alert-rules', element: page(() => import('./pages/AlertRulesPage'), 'AlertRulesPage') },
              { path: 'webhooks', element: page(() => import('./pages/WebhooksPage'), 'WebhooksPage') },
              { path: 'webhooks/:id', element: page(() => import('./pages/WebhooksPage'), 'WebhookDetailPage') },
              { path: 'invoices', element: page(() => import('./pages/InvoicesPage'), 'InvoicesPage') },
              { path: 'invoices/:id', element: page(() => import('./pages/InvoicesPage'), 'InvoiceDetailPage') },
              { path: 'orders', element: page(() => import('./pages/OrdersPage'), 'OrdersPage') },
              { path: 'api-keys', element: page(() => import('./pages/ApiKeysPage'), 'ApiKeysPage') },
              { path: 'support', element: page(() => import('./pages/SupportPage'), 'SupportPage') },
              { path: 'support/:id', element: page(() => import('./pages/SupportPage'), 'SupportCasePage') },
              { path: 'users', element: page(() => import('./pages/UsersPage'), 'UsersPage') },
            ]),
        // Routed for everyone: the menu shows the pages a role may use, and a page reached anyway shows the API's refusal.
        { path: 'audit-log', element: page(() => import('./pages/AuditLogPage'), 'AuditLogPage') },
        ...session,
        { path: '*', element: page(() => import('./pages/NotFoundPage'), 'NotFoundPage') },
      ],
    },
  ]);
}

let generation = 0;

export function App() {
  const [identity, setIdentity] = useState<Identity | null | undefined>(undefined);
  useEffect(() => {
    void restore().then(setIdentity);
    return onSignedOut(() => {
      liveStream.reset();
      queryClient.clear();
      setIdentity(null);
    });
  }, []);
  // A new identity (signed in, out, or 2FA turned on) gets new routes, in a new RouterProvider: a
  // RouterProvider keeps the state of the router it was first given.
  const routes = useMemo(() => (identity === undefined ? null : { router: router(identity, setIdentity), key: (generation += 1) }), [identity]);
  const session = useMemo(
    () =>
      identity
        ? {
            identity,
            // Signing out on purpose starts afresh at the sign-in page (an expired session keeps the page to come back to).
            signOut: (everywhere?: boolean) => {
              window.history.replaceState(null, '', '/sign-in');
              return apiSignOut(everywhere);
            },
            refresh: async () => setIdentity(await restore()),
          }
        : null,
    [identity],
  );
  if (!routes) return <Loading label="Starting the console…" />;
  return (
    <QueryClientProvider client={queryClient}>
      <Session.Provider value={session}>
        <RouterProvider key={routes.key} router={routes.router} />
      </Session.Provider>
    </QueryClientProvider>
  );
}
