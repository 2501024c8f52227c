import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ApiClient, type ApiResponse } from './support/http.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

// The outside probe's repros (issue 11), each now a 4xx problem naming the field — on both engines, since
// the 500s came from the database (PostgreSQL and PGlite refuse NUL, year 0000, NaN bigints).

const fieldsOf = (res: ApiResponse) => (res.body.errors ?? []).map((e: { field: string }) => e.field);

describe.each(SHAPES)('no input makes a 5xx (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let iccid: string;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Probe Fleet');
    [iccid] = await orderSims(admin, account, 1);
    await activate(account, iccid);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  }, 60_000);

  const expect422 = (res: ApiResponse, field: string) => {
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(fieldsOf(res)).toContain(field);
  };

  it('refuses NUL in a JSON body, a path segment and a query value, naming the field', async () => {
    expect422(await admin.post('/v1/accounts', { name: 'a\u0000b' }), 'name');
    expect422(await account.api.get('/v1/sims/abc%00/history'), 'iccid');
    expect422(await account.api.get('/v1/sims?q=abc%00'), 'q');
    expect422(await account.api.patch(`/v1/sims/${iccid}`, { tags: { 'k\u0000': 'v' } }), 'tags/k\\u0000');
  });

  it('refuses unpaired surrogates', async () => {
    expect422(await admin.request('PUT', '/v1/price-plans/probe', '{"name":"\\ud800x","currency":"EUR"}'), 'name');
    expect422(await account.api.patch(`/v1/sims/${iccid}`, { name: 'x\udc00' }), 'name');
  });

  it('refuses dates PostgreSQL cannot hold (year 0000), in every date parameter', async () => {
    expect422(await account.api.get('/v1/events?since=0000-01-01T00:00:00Z'), 'since');
    expect422(await account.api.get('/v1/sims?lastSeenBefore=0000-01-01T00:00:00Z'), 'lastSeenBefore');
    expect422(await account.api.get('/v1/sims?lastSeenAfter=0001-01-01T00:30:00%2B01:00'), 'lastSeenAfter');
    expect422(await account.api.get('/v1/usage-events?from=0000-01-01T00:00:00Z'), 'from');
    const events = await account.api.post('/v1/usage-events', [
      { id: 'e1', channel: 'sms', type: 'mt', at: '0000-01-01T00:00:00Z', to: '+33612345678' },
    ]);
    expect(events.status).toBe(200);
    expect(events.body.rejected[0].errors).toContainEqual({ field: 'at', message: expect.stringContaining('between 0001-01-01 and 9999-12-31') });
  });

  it('refuses crafted cursors', async () => {
    expect422(await account.api.get(`/v1/sims/${iccid}/history?cursor=WzEsMiwzXQ`), 'cursor');
    expect422(await account.api.get(`/v1/sims/${iccid}/history?cursor=${Buffer.from('1\u0000').toString('base64url')}`), 'cursor');
    expect422(await account.api.get('/v1/usage-events?cursor=LTE'), 'cursor');
    expect422(
      await account.api.get(`/v1/sims?cursor=${Buffer.from('{"s":"iccid","section":"value","value":"\\u0000","iccid":"1"}').toString('base64url')}`),
      'cursor',
    );
  });

  it('takes an action with an empty JSON body, and refuses a null one', async () => {
    const suspended = await account.api.request('POST', `/v1/sims/${iccid}/suspend`, '', { 'content-type': 'application/json' });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect422(await account.api.request('POST', `/v1/sims/${iccid}/resume`, 'null', { 'content-type': 'application/json' }), '(body)');
    expect((await account.api.post(`/v1/sims/${iccid}/resume`)).status).toBe(200);
  });

  it('answers 415 to a media type an operation does not list', async () => {
    const res = await account.api.request('POST', '/v1/usage-events', '[]', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.accepted).toEqual(['application/json', 'application/x-ndjson']);
    expect((await admin.request('POST', '/v1/accounts', '{}', { 'content-type': 'application/x-ndjson' })).status).toBe(415);
  });

  it('refuses unknown query parameters the same way on item and list routes, naming them', async () => {
    expect422(await account.api.get(`/v1/sims/${iccid}?foo=1`), 'foo');
    expect422(await account.api.get('/v1/sims?foo=1'), 'foo');
    expect422(await account.api.get('/v1/webhooks?foo=1&limit=0'), 'foo');
  });

  it('refuses another account’s id on the invoice list of an account key', async () => {
    const other = await createAccount(admin, 'Other Fleet');
    const res = await account.api.get(`/v1/invoices?accountId=${other.accountId}`);
    expect(res.status).toBe(403);
    expect(fieldsOf(res)).toEqual(['accountId']);
    expect((await account.api.get(`/v1/invoices?accountId=${account.accountId}`)).status).toBe(200);
  });

  it('does not read a blank line index as line 0', async () => {
    expect422(await account.api.get('/v1/invoices/inv_x/lines/%20/usage'), 'n');
    expect422(await account.api.get('/v1/invoices/inv_x/lines/1e3/usage'), 'n');
  });

  it('never echoes a large input back in a 422', async () => {
    const res = await account.api.patch(`/v1/sims/${iccid}`, { name: 'x'.repeat(60_000) });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
  });
});
