import { ACCOUNT_ROLES, ROLE_SCOPES, scopesInclude, type AccountRole, type ApiKeyScope } from '@simfleet/auth';
import { listRouteDeclarations, type RouteDeclaration } from '@simfleet/http';
import { ApiClient } from './support/http.js';
import { createAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { PASSWORD, inviteAndAccept, signIn, type SessionClient } from './support/session.js';

type Caller =
  | { name: string; kind: 'session'; role: AccountRole | 'platform-admin'; client: SessionClient }
  | { name: string; kind: 'key'; role: AccountRole; key: string };

/** Whether the route's declaration lets this caller in (the guard's rules, restated from the documented role table). */
function allowed(route: RouteDeclaration, caller: Caller): boolean {
  if (route.session) return caller.kind === 'session';
  const scope = route.scope as ApiKeyScope;
  if (caller.role === 'platform-admin') return scope === 'admin' || route.adminToo;
  return scope !== 'admin' && scopesInclude(ROLE_SCOPES[caller.role], scope);
}

const IDENTITY_ROUTE = /^\/v1\/(sessions|users|invites|password-resets|audit-log|admin\/users|accounts\/:id\/(users|security|api-keys))/;

/** Sign-outs end the caller's session: they run last, each on a session of its own. */
const SIGN_OUTS = new Set(['DELETE /v1/sessions/current', 'DELETE /v1/sessions']);

/**
 * The role × operation matrix, generated from the route declarations: every /v1 operation, called by every
 * role (as a signed-in user, and as an API key holding the role's scopes) and by a platform admin user,
 * answers 403 exactly when the declaration refuses the caller, and never a 5xx.
 */
describe.each(SHAPES)('access matrix: every /v1 operation × every role (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let routes: RouteDeclaration[];
  const callers: Caller[] = [];
  let accountId: string;
  const emails = new Map<string, string>();

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    routes = listRouteDeclarations(platform.platform.app).filter((r) => r.path.startsWith('/v1/') && !r.public);
    const admin = new ApiClient(platform.url, ADMIN_KEY);
    const account = await createAccount(admin, 'Matrix');
    accountId = account.accountId;
    for (const role of ACCOUNT_ROLES) {
      const email = `matrix-${role}@example.com`;
      emails.set(role, email);
      callers.push({ name: `${role} user`, kind: 'session', role, client: await inviteAndAccept(admin, accountId, email, role) });
      const key = await admin.post(`/v1/accounts/${accountId}/api-keys`, { name: role, scopes: ROLE_SCOPES[role] });
      callers.push({ name: `${role} key`, kind: 'key', role, key: key.body.key });
    }
    emails.set('platform-admin', 'matrix-platform@example.com');
    callers.push({
      name: 'platform admin user',
      kind: 'session',
      role: 'platform-admin',
      client: await inviteAndAccept(admin, null, 'matrix-platform@example.com', 'admin'),
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('covers the whole API, each route declaring who may call it', () => {
    expect(routes.length).toBeGreaterThan(100);
    for (const route of routes) expect(route.session || typeof route.scope === 'string').toBe(true);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/sims/:iccid/suspend',
        'GET /v1/audit-log',
        'POST /v1/accounts/:id/users',
        'GET /v1/sessions/current',
        'GET /v1/admin/users',
      ]),
    );
  });

  it('answers every caller on every operation with the declared verdict, and never a 5xx', async () => {
    const mismatches: string[] = [];
    const ordered = [...routes].sort((a, b) => Number(SIGN_OUTS.has(`${a.method} ${a.path}`)) - Number(SIGN_OUTS.has(`${b.method} ${b.path}`)));
    for (const caller of callers) {
      for (const route of ordered) {
        const path = route.path.replace(/:id\b/g, route.path.startsWith('/v1/accounts/') ? accountId : 'x').replace(/:[A-Za-z]+/g, 'x');
        let session = caller.kind === 'session' ? caller.client : undefined;
        if (session && SIGN_OUTS.has(`${route.method} ${route.path}`))
          session = (await signIn(platform.url, emails.get(caller.role)!, PASSWORD)).client!;
        const write = !['GET', 'HEAD'].includes(route.method);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 15_000);
        const response = await fetch(`${platform.url}${path}`, {
          method: route.method,
          signal: controller.signal,
          headers: {
            ...(caller.kind === 'key' ? { authorization: `Bearer ${caller.key}` } : { cookie: `simfleet_session=${session!.cookie}` }),
            ...(write && session ? { 'x-csrf-token': session.csrfToken, origin: platform.url } : {}),
            ...(write ? { 'content-type': 'application/json' } : {}),
          },
          body: write ? '{}' : undefined,
        });
        clearTimeout(timer);
        // Streams (server-sent events) answer with their headers; their bodies are not read.
        const body = (response.headers.get('content-type') ?? '').includes('json')
          ? ((await response.json()) as { type?: string; requiredScope?: string; errors?: Array<{ field?: string; message?: string }> })
          : null;
        if (!body) await response.body?.cancel();
        const expected = allowed(route, caller);
        const refusedByDeclaration = response.status === 403 && body?.type === '/problems/forbidden';
        const verdict = `${caller.name}: ${route.method} ${route.path} → ${response.status} ${body?.type ?? ''}`;
        if (response.status >= 500) mismatches.push(`${verdict} (a 5xx)`);
        else if (expected && refusedByDeclaration && (body?.requiredScope !== undefined || route.session))
          mismatches.push(`${verdict} (should be allowed)`);
        else if (!expected && !refusedByDeclaration) mismatches.push(`${verdict} (should be 403)`);
        // The identity routes' bad input names the field (an empty body lacks the required ones).
        else if (
          response.status === 422 &&
          IDENTITY_ROUTE.test(route.path) &&
          !(body?.errors?.length && body.errors.every((e) => e.field && e.message))
        ) {
          mismatches.push(`${verdict} (a 422 naming no field)`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
