import { ApiClient } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const LIMIT = 30;

describe.each(SHAPES)('API conventions: Idempotency-Key and rate limits (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;

  /** A new write key of the account: a fresh rate-limit budget. */
  const freshKey = async (who: ProvisionedAccount) => {
    const res = await admin.post(`/v1/accounts/${who.accountId}/api-keys`, { name: `k-${Date.now()}`, scopes: ['write'] });
    expect(res.status).toBe(201);
    return new ApiClient(platform.url, res.body.key as string);
  };

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Conventions');
    other = await createAccount(admin, 'Other Tenant');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  describe('Idempotency-Key', () => {
    it('replays the stored response for the same key and body, once created', async () => {
      const api = await freshKey(account);
      const body = { quantity: 1, formFactor: '2FF' };
      const first = await api.post('/v1/orders', body, { 'idempotency-key': 'order-2026-11-28-a' });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotency-replayed')).toBeNull();
      const again = await api.post('/v1/orders', body, { 'idempotency-key': 'order-2026-11-28-a' });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const orders = (await api.get('/v1/orders?limit=1000')).body.data as Array<{ id: string }>;
      expect(orders.filter((o) => o.id === first.body.id)).toHaveLength(1);
      expect(orders).toHaveLength(1);
    });

    it('answers 422 for the same key with a different body, and for a malformed key', async () => {
      const api = await freshKey(account);
      expect((await api.post('/v1/orders', { quantity: 1, formFactor: '2FF' }, { 'idempotency-key': 'k-reuse' })).status).toBe(201);
      const reused = await api.post('/v1/orders', { quantity: 2, formFactor: '2FF' }, { 'idempotency-key': 'k-reuse' });
      expect(reused.status).toBe(422);
      expect(reused.headers.get('content-type')).toContain('application/problem+json');
      expect(reused.body).toMatchObject({ type: '/problems/idempotency-key-reused', idempotencyKey: 'k-reuse' });
      const malformed = await api.post('/v1/orders', { quantity: 1, formFactor: '2FF' }, { 'idempotency-key': 'x'.repeat(256) });
      expect(malformed.status).toBe(422);
      expect(malformed.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'invalid' }]);
    });

    it('keeps keys of different accounts apart', async () => {
      const mine = await account.api.post('/v1/orders', { quantity: 1, formFactor: '3FF' }, { 'idempotency-key': 'shared-key-1' });
      const theirs = await other.api.post('/v1/orders', { quantity: 1, formFactor: '3FF' }, { 'idempotency-key': 'shared-key-1' });
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.headers.get('idempotency-replayed')).toBeNull();
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.accountId).toBe(other.accountId);
    });

    it('does not store a failed request: the key can be used again once the body is right', async () => {
      const api = await freshKey(account);
      const bad = await api.post('/v1/orders', { quantity: 0, formFactor: '2FF' }, { 'idempotency-key': 'retry-after-fix' });
      expect(bad.status).toBe(422);
      const good = await api.post('/v1/orders', { quantity: 1, formFactor: '2FF' }, { 'idempotency-key': 'retry-after-fix' });
      expect(good.status).toBe(201);
      expect(good.headers.get('idempotency-replayed')).toBeNull();
    });

    it('sends a wake-up SMS once however often the request is retried', async () => {
      // orderSims uses MFF2, a form factor no pending order of this suite waits for (added stock serves the oldest first).
      const [iccid] = await orderSims(admin, account, 1);
      await activate(account, iccid);
      const first = await account.api.post(`/v1/sims/${iccid}/wake-up`, undefined, { 'idempotency-key': 'wake-1' });
      const retry = await account.api.post(`/v1/sims/${iccid}/wake-up`, undefined, { 'idempotency-key': 'wake-1' });
      expect(first.status).toBe(202);
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotency-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
      expect((await account.api.get(`/v1/sims/${iccid}/sms`)).body.data).toHaveLength(1);
    });
  });

  describe('rate limits', () => {
    it('counts per API key with RateLimit headers, then answers 429 with Retry-After', async () => {
      const api = await freshKey(account);
      for (let i = 1; i <= LIMIT; i++) {
        const res = await api.get('/v1/sims?limit=1');
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBe(String(LIMIT));
        expect(res.headers.get('ratelimit-remaining')).toBe(String(LIMIT - i));
        expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);
        expect(res.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=60`);
      }
      const limited = await api.post('/v1/orders', { quantity: 1, formFactor: '2FF' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
      expect(limited.body).toMatchObject({ type: '/problems/rate-limited', status: 429, limit: LIMIT });
      expect(limited.body).not.toHaveProperty('headers');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');

      // Another key of the same account has its own budget; the admin key is not limited.
      const fresh = await freshKey(account);
      expect((await fresh.get('/v1/sims?limit=1')).headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
      for (let i = 0; i < LIMIT + 5; i++) {
        const res = await admin.get('/v1/admin/dead-letters?limit=1');
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
    });

    it('does not count requests without a valid key, nor operations endpoints', async () => {
      const anonymous = new ApiClient(platform.url);
      const res = await anonymous.get('/v1/sims');
      expect(res.status).toBe(401);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
      expect((await anonymous.get('/health')).headers.get('ratelimit-limit')).toBeNull();
    });

    if (shape === 'servers') {
      it('shares the count across API instances through Redis', async () => {
        const second = await startTestPlatform(resources.env, ['api'], { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
        try {
          const keyed = await freshKey(account);
          const onSecond = new ApiClient(second.url, keyed.key);
          for (let i = 0; i < LIMIT / 2; i++) expect((await keyed.get('/v1/sims?limit=1')).status).toBe(200);
          for (let i = 0; i < LIMIT / 2; i++) expect((await onSecond.get('/v1/sims?limit=1')).status).toBe(200);
          expect((await keyed.get('/v1/sims?limit=1')).status).toBe(429);
          expect((await onSecond.get('/v1/sims?limit=1')).status).toBe(429);
        } finally {
          await second.stop();
        }
      });
    }
  });
});
