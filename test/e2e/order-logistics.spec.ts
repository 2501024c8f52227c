import { luhnCheckDigit } from '@simfleet/domain';
import { ApiClient, eventually } from './support/http.js';
import { createAccount, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const withLuhn = (payload: string) => `${payload}${luhnCheckDigit(payload)}`;

describe.each(SHAPES)('order logistics: stock, shipping, delivery (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;

  const orderOf = async (id: string) => (await account.api.get(`/v1/orders/${id}`)).body;
  const statusBecomes = (id: string, status: string) =>
    eventually(async () => ((await orderOf(id)).status === status ? orderOf(id) : undefined), 20_000);

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Logistics Tests');
    other = await createAccount(admin, 'Other Tenant');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('keeps orders pending without stock, then serves them oldest first as stock is added', async () => {
    const older = await account.api.post('/v1/orders', { quantity: 2, formFactor: '2FF' });
    const newer = await account.api.post('/v1/orders', { quantity: 1, formFactor: '2FF' });
    expect(older.status).toBe(201);
    await eventually(async () => ((await orderOf(older.body.id)).statusReason === 'not enough 2FF SIMs in stock for 2' ? true : undefined));
    await eventually(async () => ((await orderOf(newer.body.id)).statusReason === 'not enough 2FF SIMs in stock for 1' ? true : undefined));

    // Two SIMs: enough for the older order only, although the newer one would fit too.
    expect((await admin.post('/v1/stock', { count: 2, formFactor: '2FF' })).status).toBe(201);
    await statusBecomes(older.body.id, 'allocated');
    expect((await orderOf(newer.body.id)).status).toBe('pending');

    // Imported stock serves the next one.
    const imported = await admin.post('/v1/stock', { sims: [{ iccid: withLuhn('894410000000000001'), imsi: '234150000000001', formFactor: '2FF' }] });
    expect(imported.status).toBe(201);
    const allocated = await statusBecomes(newer.body.id, 'allocated');
    expect(allocated.statusReason).toBeNull();
    const sims = (await account.api.get('/v1/sims?limit=100')).body.data as Array<{ iccid: string; orderId: string; status: string }>;
    expect(sims.filter((s) => s.orderId === newer.body.id).map((s) => s.iccid)).toEqual([withLuhn('894410000000000001')]);
  });

  it('ships with carrier and tracking number, delivers, and refuses steps out of order', async () => {
    expect((await admin.post('/v1/stock', { count: 1, formFactor: '3FF' })).status).toBe(201);
    const order = await account.api.post('/v1/orders', {
      quantity: 1,
      formFactor: '3FF',
      shippingAddress: { name: 'Acme', line1: '1 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' },
    });
    await statusBecomes(order.body.id, 'allocated');
    const id = order.body.id;

    const early = await admin.post(`/v1/admin/orders/${id}/deliver`);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ currentStatus: 'allocated', allowedActions: ['ship', 'cancel'] });

    const shipped = await admin.post(`/v1/admin/orders/${id}/ship`, { carrier: 'La Poste', trackingNumber: '6A12345678901' });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({
      status: 'shipped',
      carrier: 'La Poste',
      trackingNumber: '6A12345678901',
      shippedAt: expect.any(String),
      deliveredAt: null,
    });
    expect((await orderOf(id)).trackingNumber).toBe('6A12345678901');

    const cancel = await account.api.post(`/v1/orders/${id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.currentStatus).toBe('shipped');
    expect((await admin.post(`/v1/admin/orders/${id}/ship`)).status).toBe(409);

    const delivered = await admin.post(`/v1/admin/orders/${id}/deliver`);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ status: 'delivered', deliveredAt: expect.any(String) });
    expect((await admin.post(`/v1/admin/orders/${id}/deliver`)).status).toBe(409);

    const types = (await account.api.get(`/v1/events?subject=${id}&limit=100`)).body.data as Array<{ type: string; data: Record<string, unknown> }>;
    expect(types.map((e) => e.type).sort()).toEqual(['order.allocated', 'order.created', 'order.delivered', 'order.shipped']);
    expect(types.find((e) => e.type === 'order.shipped')!.data).toMatchObject({ carrier: 'La Poste', trackingNumber: '6A12345678901' });

    const listed = await admin.get(`/v1/admin/orders?status=delivered&accountId=${account.accountId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((o: { id: string }) => o.id)).toEqual([id]);
  });

  it('a pending order can be shipped by no one, and bad input and foreign keys are refused', async () => {
    const pending = await other.api.post('/v1/orders', { quantity: 50, formFactor: 'MFF2' });
    await eventually(async () =>
      (await other.api.get(`/v1/orders/${pending.body.id}`)).body.statusReason?.startsWith('not enough') ? true : undefined,
    );
    const ship = await admin.post(`/v1/admin/orders/${pending.body.id}/ship`, {});
    expect(ship.status).toBe(409);
    expect(ship.body).toMatchObject({ currentStatus: 'pending', allowedActions: ['cancel'] });
    const bad = await admin.post(`/v1/admin/orders/${pending.body.id}/ship`, { carrier: '', trackingNumber: 7, eta: 'soon' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['carrier', 'eta', 'trackingNumber']);
    expect((await admin.post('/v1/admin/orders/ord_nope/ship')).status).toBe(404);
    expect((await admin.get('/v1/admin/orders/ord_nope')).status).toBe(404);
    expect((await account.api.post(`/v1/admin/orders/${pending.body.id}/ship`)).status).toBe(403);
    expect((await account.api.get('/v1/admin/orders')).status).toBe(403);
    expect((await account.api.get(`/v1/orders/${pending.body.id}`)).status).toBe(404);
    expect((await admin.get('/v1/admin/orders?status=lost')).status).toBe(422);
    expect((await other.api.post(`/v1/orders/${pending.body.id}/cancel`)).status).toBe(200);
  });
});

describe.each(SHAPES)('simulated logistics (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { ORDER_AUTO_SHIP_AFTER: '200ms', ORDER_AUTO_DELIVER_AFTER: '300ms' });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('ships and delivers an allocated order by itself', async () => {
    const admin = new ApiClient(platform.url, ADMIN_KEY);
    const account = await createAccount(admin, 'Auto Logistics');
    expect((await admin.post('/v1/stock', { count: 2, formFactor: '4FF' })).status).toBe(201);
    const order = await account.api.post('/v1/orders', { quantity: 2, formFactor: '4FF' });
    const delivered = await eventually(async () => {
      const res = await account.api.get(`/v1/orders/${order.body.id}`);
      return res.body.status === 'delivered' ? res.body : undefined;
    }, 20_000);
    expect(delivered).toMatchObject({ carrier: 'simulated', shippedAt: expect.any(String), deliveredAt: expect.any(String) });
    const types = ((await account.api.get(`/v1/events?subject=${order.body.id}&limit=100`)).body.data as Array<{ type: string }>)
      .map((e) => e.type)
      .sort();
    expect(types).toEqual(['order.allocated', 'order.created', 'order.delivered', 'order.shipped']);
  });
});
