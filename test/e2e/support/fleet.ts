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
  const sims = await account.api.get(`/v1/sims?limit=${quantity}`);
  return sims.body.data.map((s: { iccid: string }) => s.iccid);
}

/** Activates a SIM and returns its device secret (issued once, at first activation). */
export async function activate(account: ProvisionedAccount, iccid: string): Promise<string> {
  const res = await account.api.post(`/v1/sims/${iccid}/activate`);
  expect(res.status).toBe(200);
  expect(res.body.deviceSecret).toEqual(expect.any(String));
  return res.body.deviceSecret;
}
