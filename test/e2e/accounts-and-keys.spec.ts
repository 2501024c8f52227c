import { ApiClient } from './support/http.js';
import { createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const expectProblem = (res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, type: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: `/problems/${type}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
    instance: expect.any(String),
    requestId: expect.any(String),
  });
};

describe.each(SHAPES)('accounts, API keys and tenancy (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    anonymous = new ApiClient(platform.url);
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('creates an account and a key shown once, stored hashed', async () => {
    const account = await admin.post('/v1/accounts', { name: 'Fleet One' });
    expect(account.status).toBe(201);
    expect(account.body).toEqual({ id: expect.stringMatching(/^acc_[0-9A-Z]{26}$/), name: 'Fleet One', createdAt: expect.any(String) });

    const key = await admin.post(`/v1/accounts/${account.body.id}/api-keys`, { name: 'backend', scopes: ['read', 'write'] });
    expect(key.status).toBe(201);
    expect(key.body).toMatchObject({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^key_[0-9A-Z]{26}\.[A-Za-z0-9_-]{40,}$/),
      scopes: ['read', 'write'],
    });

    const listed = await admin.get(`/v1/accounts/${account.body.id}/api-keys`);
    expect(listed.body.data).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(key.body.key.split('.')[1]);
    expect(listed.body.data[0]).not.toHaveProperty('key');
    expect(listed.body.data[0]).not.toHaveProperty('secretHash');

    const sims = await admin.withKey(key.body.key).get('/v1/sims');
    expect(sims.status).toBe(200);
    expect(sims.body).toEqual({ data: [], nextCursor: null });
  });

  it('answers a missing, malformed, unknown or revoked key with 401 problem+json', async () => {
    const missing = await anonymous.get('/v1/sims');
    expectProblem(missing, 401, 'unauthenticated');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expectProblem(await anonymous.get('/v1/sims', { authorization: 'Basic abc' }), 401, 'unauthenticated');
    expectProblem(await anonymous.withKey('not-a-key').get('/v1/sims'), 401, 'unauthenticated');
    expectProblem(
      await anonymous.withKey('key_01ARZ3NDEKTSV4RRFFQ69G5FAV.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa').get('/v1/sims'),
      401,
      'unauthenticated',
    );

    const account = await createAccount(admin, 'Revocable');
    const keys = await admin.get(`/v1/accounts/${account.accountId}/api-keys`);
    const readKeyId = account.readKey.split('.')[0];
    expect(keys.body.data.map((k: { id: string }) => k.id)).toContain(readKeyId);
    expect((await admin.delete(`/v1/accounts/${account.accountId}/api-keys/${readKeyId}`)).status).toBe(204);
    // Revocation applies within the authenticator's short cache.
    await new Promise((r) => setTimeout(r, 5_200));
    expectProblem(await anonymous.withKey(account.readKey).get('/v1/sims'), 401, 'unauthenticated');
  });

  it('answers a key without the needed scope with 403', async () => {
    const account = await createAccount(admin, 'Scopes');
    const reader = anonymous.withKey(account.readKey);
    expect((await reader.get('/v1/sims')).status).toBe(200);
    const denied = await reader.post('/v1/orders', { quantity: 1, formFactor: '4FF' });
    expectProblem(denied, 403, 'forbidden');
    expect(denied.body.requiredScope).toBe('write');
    // Account keys never reach admin routes; the admin key does not act inside an account.
    expectProblem(await account.api.post('/v1/accounts', { name: 'x' }), 403, 'forbidden');
    expectProblem(await account.api.get('/v1/admin/dead-letters'), 403, 'forbidden');
    expectProblem(await admin.get('/v1/sims'), 403, 'forbidden');
  });

  it('hides another tenant’s resources behind 404', async () => {
    const alice = await createAccount(admin, 'Alice');
    const bob = await createAccount(admin, 'Bob');
    const [iccid] = await orderSims(admin, alice, 1);
    expect((await alice.api.get(`/v1/sims/${iccid}`)).status).toBe(200);
    expectProblem(await bob.api.get(`/v1/sims/${iccid}`), 404, 'not-found');
    expectProblem(await bob.api.post(`/v1/sims/${iccid}/activate`), 404, 'not-found');
    expectProblem(await bob.api.get(`/v1/sims/${iccid}/history`), 404, 'not-found');
    const orders = await alice.api.get('/v1/orders');
    expectProblem(await bob.api.get(`/v1/orders/${orders.body.data[0].id}`), 404, 'not-found');
    expect((await bob.api.get('/v1/sims')).body.data).toEqual([]);
    expect((await bob.api.get(`/v1/events?subject=${iccid}`)).body.data).toEqual([]);
  });

  it('rejects bad input with 422 listing every field, and malformed JSON with a problem', async () => {
    const bad = await admin.post('/v1/accounts', { name: '', extra: true });
    expectProblem(bad, 422, 'validation-failed');
    expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
    const account = await createAccount(admin, 'Validation');
    const key = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'x', scopes: ['admin'] });
    expectProblem(key, 422, 'validation-failed');
    expect(key.body.errors[0].field).toBe('scopes/0');
    const malformed = await admin.request('POST', '/v1/accounts', '{"name":', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expectProblem(await admin.get('/v1/accounts/acc_unknown'), 404, 'not-found');
    expectProblem(await admin.get('/v1/no-such-route'), 404, 'not-found');
    expectProblem(await admin.get('/v1/accounts?limit=0'), 422, 'validation-failed');
    expectProblem(await admin.get('/v1/accounts?cursor=%%%'), 422, 'validation-failed');
  });

  it('pages accounts with a keyset cursor', async () => {
    for (const name of ['P1', 'P2', 'P3']) await admin.post('/v1/accounts', { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await admin.get(
        `/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((a) => a.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('replays a POST sent again with the same Idempotency-Key', async () => {
    const first = await admin.post('/v1/accounts', { name: 'Once' }, { 'idempotency-key': 'create-once' });
    const again = await admin.post('/v1/accounts', { name: 'Once' }, { 'idempotency-key': 'create-once' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    const conflicting = await admin.post('/v1/accounts', { name: 'Other' }, { 'idempotency-key': 'create-once' });
    expectProblem(conflicting, 422, 'idempotency-key-reused');
  });
});
