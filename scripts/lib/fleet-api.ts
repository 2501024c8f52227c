// Provisioning of simulated devices through the platform's REST API (used by the simulator and the
// ingestion benchmark): an account (with an admin key), stock, an order, and activated SIMs with their
// device secrets. Plain fetch, no platform code: it works against any running deployment.

export interface Device {
  iccid: string;
  secret: string;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class FleetApi {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  withKey(key: string): FleetApi {
    return new FleetApi(this.baseUrl, key);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`, response.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** An admin creates an account and a write key for it. */
export async function createAccount(admin: FleetApi, name: string): Promise<{ accountId: string; key: string }> {
  const account = await admin.request<{ id: string }>('POST', '/v1/accounts', { name });
  const key = await admin.request<{ key: string }>('POST', `/v1/accounts/${account.id}/api-keys`, { name: 'simulator', scopes: ['read', 'write'] });
  return { accountId: account.id, key: key.key };
}

/** The account's SIMs in a given status (all pages). */
export async function listSims(api: FleetApi, status: string): Promise<string[]> {
  const iccids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Array<{ iccid: string; status: string }>; nextCursor: string | null } = await api.request(
      'GET',
      `/v1/sims?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    iccids.push(...page.data.filter((s) => s.status === status).map((s) => s.iccid));
    cursor = page.nextCursor;
  } while (cursor);
  return iccids;
}

/**
 * Gets `count` SIMs of the account into `inventory`: the admin adds stock, the account orders it and the
 * order job allocates it.
 */
export async function orderSims(admin: FleetApi, api: FleetApi, count: number, log: (line: string) => void): Promise<void> {
  if (count <= 0) return;
  await admin.request('POST', '/v1/stock', { count, formFactor: 'MFF2' });
  const order = await api.request<{ id: string }>('POST', '/v1/orders', { quantity: count, formFactor: 'MFF2' });
  log(`ordered ${count} SIMs (order ${order.id})`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = await api.request<{ status: string; statusReason: string | null }>('GET', `/v1/orders/${order.id}`);
    if (state.status === 'allocated' || state.status === 'shipped' || state.status === 'delivered') return;
    if (state.status === 'cancelled') throw new Error(`order ${order.id} was cancelled: ${state.statusReason ?? 'no reason'}`);
    if (Date.now() > deadline) throw new Error(`order ${order.id} still ${state.status} after 120 s`);
    await sleep(200);
  }
}

/** Activates SIMs; the first activation returns the device secret, once. */
export async function activateSims(api: FleetApi, iccids: string[]): Promise<Device[]> {
  return inParallel(iccids, 8, async (iccid) => {
    const sim = await api.request<{ deviceSecret?: string }>('POST', `/v1/sims/${iccid}/activate`, {});
    if (sim.deviceSecret) return { iccid, secret: sim.deviceSecret };
    // Re-activated SIM: the secret was issued before and is not shown again, so issue a new one.
    const rotated = await api.request<{ secret: string }>('POST', `/v1/sims/${iccid}/credentials`);
    return { iccid, secret: rotated.secret };
  });
}

/**
 * `count` devices ready to connect: first the ones already known (their secrets from a previous run),
 * then inventory SIMs of the account, then newly ordered ones (needs the admin key).
 */
export async function provisionDevices(
  api: FleetApi,
  admin: FleetApi | null,
  count: number,
  known: Device[],
  log: (line: string) => void,
): Promise<Device[]> {
  const active = new Set(await listSims(api, 'active'));
  const devices = known.filter((d) => active.has(d.iccid)).slice(0, count);
  if (devices.length >= count) return devices;
  let inventory = await listSims(api, 'inventory');
  const missing = count - devices.length;
  if (inventory.length < missing) {
    if (!admin)
      throw new Error(
        `the account has ${devices.length} known devices and ${inventory.length} SIMs in inventory; ordering ${missing - inventory.length} more needs an admin key (--admin-key or ADMIN_API_KEY)`,
      );
    await orderSims(admin, api, missing - inventory.length, log);
    inventory = await listSims(api, 'inventory');
  }
  const activated = await activateSims(api, inventory.slice(0, missing));
  log(`activated ${activated.length} SIMs`);
  return [...devices, ...activated];
}
