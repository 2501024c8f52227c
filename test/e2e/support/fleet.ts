import { type ApiClient, eventually } from './http.js';

export interface ProvisionedAccount {
  accountId: string;
  writeKey: string;
  readKey: string;
  api: ApiClient;
}

/** An admin creates an account with a write key and a read key. */
export async function createAccount(admin: ApiClient, name = 'Acme Fleet'): Promise<ProvisionedAccount> {
  const account = await admin.post('/v1/accounts', { name });
  expect(account.status).toBe(201);
  const write = await admin.post(`/v1/accounts/${account.body.id}/api-keys`, { name: 'ops', scopes: ['write'] });
  const read = await admin.post(`/v1/accounts/${account.body.id}/api-keys`, { name: 'dashboard', scopes: ['read'] });
  expect(write.status).toBe(201);
  return { accountId: account.body.id, writeKey: write.body.key, readKey: read.body.key, api: admin.withKey(write.body.key) };
}

/** Stock is generated, the account orders SIMs, and the order job allocates them as `inventory`. */
export async function orderSims(admin: ApiClient, account: ProvisionedAccount, quantity: number): Promise<string[]> {
  expect((await admin.post('/v1/stock', { count: quantity, formFactor: 'MFF2' })).status).toBe(201);
  const order = await account.api.post('/v1/orders', { quantity, formFactor: 'MFF2' });
  expect(order.status).toBe(201);
  await eventually(async () => ((await account.api.get(`/v1/orders/${order.body.id}`)).body.status === 'allocated' ? true : undefined));
  // Every SIM of the order, page by page (at most 1,000 a page).
  const iccids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await account.api.get(`/v1/sims?limit=${Math.min(quantity, 1000)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    iccids.push(...page.body.data.map((s: { iccid: string }) => s.iccid));
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor && iccids.length < quantity);
  return iccids;
}

/** Activates a SIM and returns its device secret (issued once, at first activation). */
export async function activate(account: ProvisionedAccount, iccid: string): Promise<string> {
  const res = await account.api.post(`/v1/sims/${iccid}/activate`);
  expect(res.status).toBe(200);
  expect(res.body.deviceSecret).toEqual(expect.any(String));
  return res.body.deviceSecret;
}
