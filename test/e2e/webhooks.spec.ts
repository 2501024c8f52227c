import { Webhook } from 'standardwebhooks';
import { ApiClient, eventually as pollUntil } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { WebhookReceiver } from './support/webhook-receiver.js';
import { connectClient } from './support/mqtt.js';

// A compressed retry schedule (about 14 s in all), a short timeout and a quick poll: the production
// defaults (0s,5s,5m,… and 15 s) are the same code with other numbers.
const WEBHOOK_ENV = {
  WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
  WEBHOOK_RETRY_SCHEDULE: '0s,200ms,300ms,500ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
  WEBHOOK_POLL_INTERVAL: '100ms',
  WEBHOOK_TIMEOUT: '3s',
  WEBHOOK_DISABLE_AFTER: '10s',
  WEBHOOK_SECRET_OVERLAP: '1h',
};

// The machine is shared with other suites: generous bounds, never a measured duration.
const eventually = <T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => pollUntil(check, Math.max(timeoutMs, 30_000));

/** An event type no test emits: endpoints subscribed to it receive only their own webhook.test deliveries. */
const QUIET = 'order.delivered';

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  attempts: Array<{
    attempt: number;
    statusCode: number | null;
    responseExcerpt: string | null;
    latencyMs: number;
    error: string | null;
    url: string;
    attemptedAt: string;
  }>;
}

describe.each(SHAPES)('webhooks (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let read: ApiClient;
  let iccids: string[];
  const receivers: WebhookReceiver[] = [];

  const receiver = async (): Promise<WebhookReceiver> => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };
  const register = async (url: string, events: string[], who: ProvisionedAccount = account) => {
    const res = await who.api.post('/v1/webhooks', { url, events, description: 'test receiver' });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const deliveries = async (webhookId: string, who: ProvisionedAccount = account): Promise<Delivery[]> => {
    const res = await who.api.get(`/v1/webhooks/${webhookId}/deliveries?limit=1000`);
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const suspendAndResume = async (iccid: string) => {
    expect((await account.api.post(`/v1/sims/${iccid}/suspend`, { reason: 'webhook test' })).status).toBe(200);
    expect((await account.api.post(`/v1/sims/${iccid}/resume`)).status).toBe(200);
  };

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, WEBHOOK_ENV);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin);
    read = account.api.withKey(account.readKey);
    iccids = await orderSims(admin, account, 5);
    for (const iccid of iccids) await activate(account, iccid);
  }, 180_000);

  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await platform?.stop();
    await resources?.release();
  }, 180_000);

  it('registers an endpoint, shows its secret once, and validates every field', async () => {
    const created = await account.api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['sim.*', 'order.shipped'], enabled: false });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'http://127.0.0.1:9/hooks',
      events: ['sim.*', 'order.shipped'],
      enabled: false,
      description: null,
      disabledReason: 'manual',
    });
    expect(created.body.id).toMatch(/^whk_/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const shown = await read.get(`/v1/webhooks/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toBeUndefined();
    const listed = await read.get('/v1/webhooks');
    expect(listed.body.data.map((w: { id: string }) => w.id)).toContain(created.body.id);
    expect(listed.body.data.every((w: Record<string, unknown>) => !('secret' in w))).toBe(true);

    const patched = await account.api.patch(`/v1/webhooks/${created.body.id}`, { events: ['order.*'], description: 'orders only' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['order.*'], description: 'orders only', enabled: false, disabledReason: 'manual' });

    const invalid = await account.api.post('/v1/webhooks', { events: [], enabled: 'yes', extra: 1 });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    // An unknown field is named itself (it used to be labelled `(body)`).
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['enabled', 'events', 'extra', 'url']);
    expect(invalid.body.errors).toContainEqual({ field: 'extra', message: 'unknown field' });

    const unknownType = await account.api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['sim.*', 'sim.exploded', 'bogus.*'] });
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.errors.map((e: { field: string }) => e.field)).toEqual(['events/1', 'events/2']);

    const badScheme = await account.api.post('/v1/webhooks', { url: 'ftp://127.0.0.1/', events: ['*'] });
    expect(badScheme.status).toBe(422);
    expect(badScheme.body.errors).toEqual([{ field: 'url', message: 'only http and https URLs are allowed, not ftp' }]);
    expect((await account.api.patch(`/v1/webhooks/${created.body.id}`, {})).status).toBe(422);

    expect((await read.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] })).status).toBe(403);
    expect((await read.post(`/v1/webhooks/${created.body.id}/rotate-secret`)).status).toBe(403);

    const other = await createAccount(admin, 'Other Fleet');
    expect((await other.api.get(`/v1/webhooks/${created.body.id}`)).status).toBe(404);
    expect((await other.api.get(`/v1/webhooks/${created.body.id}/deliveries`)).status).toBe(404);
    expect((await other.api.delete(`/v1/webhooks/${created.body.id}`)).status).toBe(404);

    expect((await account.api.delete(`/v1/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await read.get(`/v1/webhooks/${created.body.id}`)).status).toBe(404);
  }, 180_000);

  it('delivers a webhook.test signed per Standard Webhooks, and logs the attempt', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 200, body: 'thanks' });
    const hook = await register(`${r.url}/hooks`, [QUIET]);
    const queued = await account.api.post(`/v1/webhooks/${hook.id}/test`);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ eventType: 'webhook.test', status: 'pending' });

    const [event] = await eventually(async () => {
      const v = r.verified(hook.secret);
      return v.length ? v : undefined;
    });
    expect(event).toMatchObject({ type: 'webhook.test', subject: hook.id, data: { webhookId: hook.id } });
    const request = r.received[0];
    expect(request.path).toBe('/hooks');
    expect(request.headers['webhook-id']).toBe(event.id);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      id: event.id,
      type: 'webhook.test',
      occurredAt: expect.any(String),
      accountId: account.accountId,
      subject: hook.id,
      data: event.data,
      schemaVersion: 1,
    });
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(request.body, request.headers)).toThrow();

    const [logged] = await eventually(async () => {
      const d = await deliveries(hook.id);
      return d[0]?.status === 'succeeded' ? d : undefined;
    });
    expect(logged).toMatchObject({ id: queued.body.id, eventId: event.id, attemptCount: 1 });
    expect(logged.attempts).toEqual([
      {
        attempt: 1,
        attemptedAt: expect.any(String),
        url: `${r.url}/hooks`,
        statusCode: 200,
        responseExcerpt: 'thanks',
        latencyMs: expect.any(Number),
        error: null,
      },
    ]);
  }, 180_000);

  it('delivers SIM lifecycle events as verified webhooks, only the subscribed types', async () => {
    const r = await receiver();
    const hook = await register(r.url, ['sim.suspended', 'sim.resumed']);
    await suspendAndResume(iccids[0]);
    const events = await eventually(async () => {
      const v = r.verified(hook.secret);
      return v.length >= 2 ? v : undefined;
    });
    expect(events.map((e) => e.type).sort()).toEqual(['sim.resumed', 'sim.suspended']);
    const suspended = events.find((e) => e.type === 'sim.suspended')!;
    expect(suspended).toMatchObject({ subject: iccids[0], data: { iccid: iccids[0], from: 'active', to: 'suspended', reason: 'webhook test' } });
    // The stored event and the delivered one are the same envelope.
    const stored = await read.get(`/v1/events?type=sim.suspended&subject=${iccids[0]}`);
    expect(stored.body.data.map((e: { id: string }) => e.id)).toContain(suspended.id);
    expect(r.received).toHaveLength(2);
  }, 180_000);

  it('retries a failing receiver on the schedule with a stable webhook-id until it succeeds', async () => {
    const r = await receiver();
    r.answer = (_req, i) => (i < 3 ? { status: 500, body: `boom ${i} ${'x'.repeat(3000)}` } : { status: 204 });
    const hook = await register(r.url, ['sim.suspended']);
    expect((await account.api.post(`/v1/sims/${iccids[1]}/suspend`)).status).toBe(200);

    const [delivery] = await eventually(async () => {
      const d = await deliveries(hook.id);
      return d[0]?.status === 'succeeded' ? d : undefined;
    }, 20_000);
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 204]);
    expect(delivery.attempts[0].error).toBeNull();
    expect(delivery.attempts[0].responseExcerpt).toMatch(/^boom 0 x+$/);
    expect(Buffer.byteLength(delivery.attempts[0].responseExcerpt!)).toBe(1024);
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((q) => q.headers['webhook-id']))).toEqual(new Set([delivery.eventId]));
    // Each attempt is signed afresh (its own timestamp) and verifies.
    expect(r.verified(hook.secret)).toHaveLength(4);
    expect((await account.api.post(`/v1/sims/${iccids[1]}/resume`)).status).toBe(200);
  }, 180_000);

  it('honours Retry-After on 429', async () => {
    const r = await receiver();
    r.answer = (_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 204 });
    const hook = await register(r.url, [QUIET]);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);
    await eventually(async () => (r.received.length >= 2 ? true : undefined), 20_000);
    // The schedule says 200 ms; the receiver asked for 2 s (a lower bound: never flaky under load).
    expect(r.received[1].receivedAt - r.received[0].receivedAt).toBeGreaterThanOrEqual(1900);
    // The receiver answered before the attempt was recorded: wait for the log.
    const [delivery] = await eventually(async () => {
      const d = await deliveries(hook.id);
      return d[0]?.status === 'succeeded' ? d : undefined;
    });
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([429, 204]);
  }, 180_000);

  it('disables an endpoint that answers 410 Gone, with a webhook.disabled event', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 410 });
    const hook = await register(r.url, ['sim.*']);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);
    const disabled = await eventually(async () => {
      const res = await read.get(`/v1/webhooks/${hook.id}`);
      return res.body.enabled === false ? res.body : undefined;
    });
    expect(disabled).toMatchObject({ disabledReason: 'gone', disabledAt: expect.any(String) });
    const [delivery] = await deliveries(hook.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: 410 });
    const events = await read.get(`/v1/events?type=webhook.*&subject=${hook.id}`);
    expect(events.body.data.map((e: { type: string }) => e.type)).toEqual(['webhook.test', 'webhook.disabled']);
    expect(events.body.data[1].data).toEqual({ webhookId: hook.id, url: r.url, reason: 'gone', failingSince: expect.any(String) });

    // Disabled: no new deliveries, no test, no redelivery (409) until it is enabled again.
    const sentinel = await receiver();
    const sentinelHook = await register(sentinel.url, ['sim.suspended', 'sim.resumed']);
    await suspendAndResume(iccids[2]);
    // Once another subscriber has them, these events are dispatched: the disabled endpoint got no delivery.
    await eventually(async () => (sentinel.verified(sentinelHook.secret).length >= 2 ? true : undefined));
    expect((await account.api.delete(`/v1/webhooks/${sentinelHook.id}`)).status).toBe(204);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(409);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`)).status).toBe(409);
    r.answer = () => ({ status: 204 });
    const enabled = await account.api.patch(`/v1/webhooks/${hook.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    const redelivered = await account.api.post(`/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ id: delivery.id, status: 'pending' });
    await eventually(async () => ((await deliveries(hook.id)).find((d) => d.id === delivery.id)?.status === 'succeeded' ? true : undefined));
    const final = (await deliveries(hook.id)).find((d) => d.id === delivery.id)!;
    expect(final.attempts.map((a) => a.statusCode)).toEqual([410, 204]);
    expect(r.received.map((q) => q.headers['webhook-id'])).toEqual([delivery.eventId, delivery.eventId]);
    // The lifecycle events of the disabled period were never delivered to it.
    expect(r.verified(hook.secret).map((e) => e.type)).toEqual(['webhook.test', 'webhook.test']);
  }, 180_000);

  it('disables an endpoint failing for longer than WEBHOOK_DISABLE_AFTER', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 500 });
    const hook = await register(r.url, [QUIET]);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);
    const disabled = await eventually(async () => {
      const res = await read.get(`/v1/webhooks/${hook.id}`);
      return res.body.enabled === false ? res.body : undefined;
    }, 30_000);
    expect(disabled).toMatchObject({ disabledReason: 'failing', failingSince: expect.any(String) });
    expect(new Date(disabled.disabledAt).getTime() - new Date(disabled.failingSince).getTime()).toBeGreaterThanOrEqual(10_000);
    const events = await read.get(`/v1/events?type=webhook.disabled&subject=${hook.id}`);
    expect(events.body.data[0].data).toMatchObject({ reason: 'failing', failingSince: disabled.failingSince });
  }, 180_000);

  it('keeps delivering to healthy endpoints while another one hangs', async () => {
    const stuck = await receiver();
    stuck.answer = () => 'hang';
    const healthy = await receiver();
    const stuckHook = await register(stuck.url, ['sim.suspended', 'sim.resumed']);
    const healthyHook = await register(healthy.url, ['sim.suspended', 'sim.resumed']);
    for (let i = 0; i < 3; i++) await suspendAndResume(iccids[3]);
    const received = await eventually(async () => {
      const v = healthy.verified(healthyHook.secret);
      return v.length >= 6 ? v : undefined;
    }, 20_000);
    expect(received.map((e) => e.type)).toEqual(expect.arrayContaining(['sim.suspended', 'sim.resumed']));
    const stuckDeliveries = await deliveries(stuckHook.id);
    expect(stuckDeliveries).toHaveLength(6);
    expect(stuckDeliveries.every((d) => d.status !== 'succeeded')).toBe(true);
    const timedOut = await eventually(async () => (await deliveries(stuckHook.id)).flatMap((d) => d.attempts).find((a) => a.error !== null));
    expect(timedOut).toMatchObject({ statusCode: null, error: 'timed out after 3000 ms' });
    expect((await account.api.delete(`/v1/webhooks/${stuckHook.id}`)).status).toBe(204);
  }, 180_000);

  it('delivers everything to a receiver that was down for a while, once it comes back', async () => {
    const r = await receiver();
    const hook = await register(r.url, ['sim.suspended', 'sim.resumed']);
    await r.stop();
    const since = new Date().toISOString();
    await suspendAndResume(iccids[0]);
    await suspendAndResume(iccids[0]);
    // Every delivery has failed at least once (connection refused) before the receiver returns.
    const down = await eventually(async () => {
      const d = await deliveries(hook.id);
      return d.length === 4 && d.every((x) => x.attempts.length > 0) ? d : undefined;
    });
    expect(down.every((d) => d.status === 'pending' && d.attempts[0].error !== null && d.attempts[0].statusCode === null)).toBe(true);
    await r.start();
    const got = await eventually(async () => {
      const v = r.verified(hook.secret);
      return v.length >= 4 ? v : undefined;
    }, 20_000);
    const stored = await read.get(`/v1/events?subject=${iccids[0]}&since=${encodeURIComponent(since)}&type=sim.*`);
    expect(got.map((e) => e.id).sort()).toEqual(stored.body.data.map((e: { id: string }) => e.id).sort());
    const after = await eventually(async () => {
      const d = await deliveries(hook.id);
      return d.every((x) => x.status === 'succeeded') ? d : undefined;
    });
    expect(after.every((d) => d.attempts[d.attempts.length - 1].statusCode === 204)).toBe(true);
    expect((await read.get(`/v1/webhooks/${hook.id}`)).body).toMatchObject({ enabled: true, failingSince: null });
  }, 180_000);

  it('signs with both the old and the new secret during a rotation overlap', async () => {
    const r = await receiver();
    const hook = await register(r.url, [QUIET]);
    const rotated = await account.api.post(`/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(new Date(rotated.body.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);
    await eventually(async () => (r.received.length ? true : undefined));
    expect(r.received[0].headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(r.verified(hook.secret)).toHaveLength(1);
    expect(r.verified(rotated.body.secret)).toHaveLength(1);
  }, 180_000);

  it('follows redirects to allowed addresses and refuses one to a private or metadata address', async () => {
    const target = await receiver();
    const hop = await receiver();
    hop.answer = (req) =>
      req.path === '/to-metadata'
        ? { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }
        : req.path === '/to-ipv6-loopback'
          ? { status: 307, headers: { location: `http://[::1]:${new URL(target.url).port}/` } }
          : { status: 308, headers: { location: `${target.url}/final` } };
    // Subscribed to a type these tests never emit: only the test events reach them.
    const ok = await register(`${hop.url}/to-target`, [QUIET]);
    const metadata = await register(`${hop.url}/to-metadata`, [QUIET]);
    const loopback6 = await register(`${hop.url}/to-ipv6-loopback`, [QUIET]);
    for (const hook of [ok, metadata, loopback6]) expect((await account.api.post(`/v1/webhooks/${hook.id}/test`)).status).toBe(202);

    const [good] = await eventually(async () => {
      const d = await deliveries(ok.id);
      return d[0]?.status === 'succeeded' ? d : undefined;
    });
    expect(good.attempts[0]).toMatchObject({ url: `${target.url}/final`, statusCode: 204 });
    expect(target.verified(ok.secret)).toHaveLength(1);

    const refusedMeta = await eventually(async () => (await deliveries(metadata.id))[0]?.attempts[0]);
    expect(refusedMeta).toMatchObject({
      url: 'http://169.254.169.254/latest/meta-data/',
      statusCode: null,
      error: 'refused: 169.254.169.254 is a linkLocal address',
    });
    const refused6 = await eventually(async () => (await deliveries(loopback6.id))[0]?.attempts[0]);
    expect(refused6).toMatchObject({ statusCode: null, error: 'refused: ::1 is a loopback address' });
    // Nothing ever reached the target through the refused hops.
    expect(target.received).toHaveLength(1);
    for (const hook of [metadata, loopback6]) expect((await account.api.delete(`/v1/webhooks/${hook.id}`)).status).toBe(204);
  }, 180_000);

  it('carries an MQTT record through an IMEI-lock alert and the block to verified webhooks', async () => {
    const r = await receiver();
    const hook = await register(r.url, ['alert.*', 'sim.blocked', 'sim.disconnected']);
    const iccid = iccids[4];
    const secret = (await account.api.post(`/v1/sims/${iccid}/credentials`)).body.secret as string;
    expect((await account.api.patch(`/v1/sims/${iccid}`, { authorizedImeis: ['356938035643809'] })).status).toBe(200);
    expect((await account.api.post('/v1/alert-rules', { type: 'imei_change', scope: { iccid }, severity: 'critical', action: 'block' })).status).toBe(
      201,
    );

    const device = await connectClient(platform.mqttUrl, iccid, secret, { clientId: `dev-${iccid}` });
    const cut = new Promise<void>((resolve) => device.once('close', () => resolve()));
    const record = {
      sessionId: 's-stolen',
      startedAt: new Date().toISOString(),
      endedAt: null,
      bytesUp: 10,
      bytesDown: 10,
      mcc: '208',
      mnc: '01',
      rat: 'LTE-M',
      imei: '490154203237518',
    };
    // The block may cut the device off before its PUBACK arrives.
    await Promise.race([device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(record), { qos: 1 }), cut]);
    await cut;

    const events = await eventually(async () => {
      const v = r.verified(hook.secret);
      return ['alert.raised', 'sim.blocked', 'sim.disconnected'].every((t) => v.some((e) => e.type === t)) ? v : undefined;
    });
    const raised = events.find((e) => e.type === 'alert.raised')!;
    expect(raised.data).toMatchObject({ type: 'imei_change', iccid, severity: 'critical', block: 'unauthorized_imei', status: 'active' });
    expect(events.find((e) => e.type === 'sim.blocked')!.data).toMatchObject({ iccid, block: 'unauthorized_imei', alertId: raised.data.id });
    expect(events.find((e) => e.type === 'sim.disconnected')!.data).toMatchObject({ iccid, reason: 'kicked_blocked' });
    // Every received request verified: nothing unsigned or mis-signed reached the receiver.
    expect(r.received).toHaveLength(events.length);
  }, 180_000);

  it('lists stored events by exact type, prefix, subject and time, page by page', async () => {
    const since = new Date().toISOString();
    await suspendAndResume(iccids[2]);
    await suspendAndResume(iccids[2]);
    const all = await read.get(`/v1/events?type=sim.*&subject=${iccids[2]}&since=${encodeURIComponent(since)}`);
    expect(all.status).toBe(200);
    expect(all.body.data.map((e: { type: string }) => e.type)).toEqual(['sim.suspended', 'sim.resumed', 'sim.suspended', 'sim.resumed']);
    expect(all.body.data[0]).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      type: 'sim.suspended',
      occurredAt: expect.any(String),
      accountId: account.accountId,
      subject: iccids[2],
      data: expect.objectContaining({ iccid: iccids[2] }),
      schemaVersion: 1,
    });
    const exact = await read.get(`/v1/events?type=sim.resumed&subject=${iccids[2]}&since=${encodeURIComponent(since)}`);
    expect(exact.body.data).toHaveLength(2);
    expect((await read.get(`/v1/events?type=sim.sus&subject=${iccids[2]}`)).body.data).toEqual([]);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await read.get(
        `/v1/events?type=sim.*&subject=${iccids[2]}&since=${encodeURIComponent(since)}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      pages.push(...page.body.data.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.body.data.map((e: { id: string }) => e.id));

    const other = await createAccount(admin, 'Nosy Fleet');
    expect((await other.api.get(`/v1/events?subject=${iccids[2]}`)).body.data).toEqual([]);
    const bad = await read.get('/v1/events?type=SIM!&since=yesterday&limit=0');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'since', 'type']);
    expect((await read.get('/v1/events?cursor=bm90LWEtY3Vyc29y_')).status).toBe(422);
  }, 180_000);
});

describe.each(SHAPES)('webhook SSRF refusals, WEBHOOK_ALLOWED_CIDRS unset (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let account: ProvisionedAccount;
  let local: WebhookReceiver;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { WEBHOOK_POLL_INTERVAL: '100ms' });
    account = await createAccount(new ApiClient(platform.url, ADMIN_KEY));
    local = await new WebhookReceiver().start();
  }, 180_000);

  afterAll(async () => {
    await local?.stop();
    await platform?.stop();
    await resources?.release();
  }, 180_000);

  it.each([
    ['http://127.0.0.1:{port}/', 'loopback'],
    ['http://localhost:{port}/', 'loopback'],
    ['http://2130706433:{port}/', 'loopback'],
    ['http://0x7f.0.0.1:{port}/', 'loopback'],
    ['http://0177.0.0.1:{port}/', 'loopback'],
    ['http://10.0.0.1/', 'private'],
    ['http://172.16.5.4/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[fd00:ec2::254]/', 'uniqueLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', 'linkLocal'],
    ['http://[::127.0.0.1]:{port}/', 'loopback'],
    ['http://[::7f00:1]:{port}/', 'loopback'],
    ['http://[::a9fe:a9fe]/', 'linkLocal'],
    ['http://[::10.0.0.1]/', 'private'],
    ['http://[::93.184.215.14]/', 'ipv4Compatible'],
  ])(
    'refuses to register %s (%s)',
    async (template, range) => {
      const url = template.replace('{port}', new URL(local.url).port);
      const res = await account.api.post('/v1/webhooks', { url, events: ['*'] });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(new RegExp(`a ${range} address$`)) }]);
    },
    180_000,
  );

  it('refuses other schemes, and a private URL on update too', async () => {
    const public4 = await account.api.post('/v1/webhooks', { url: 'http://93.184.215.14/hooks', events: ['order.delivered'], enabled: false });
    expect(public4.status).toBe(201);
    const moved = await account.api.patch(`/v1/webhooks/${public4.body.id}`, { url: 'http://10.0.0.1/hooks' });
    expect(moved.status).toBe(422);
    expect(moved.body.errors).toEqual([{ field: 'url', message: '10.0.0.1 is a private address' }]);
    expect((await account.api.delete(`/v1/webhooks/${public4.body.id}`)).status).toBe(204);

    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/']) {
      const res = await account.api.post('/v1/webhooks', { url, events: ['*'] });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toEqual({ field: 'url', message: expect.stringContaining('only http and https') });
    }
    const list = await account.api.get('/v1/webhooks');
    expect(list.body.data).toEqual([]);
    expect(local.received).toEqual([]);
  }, 180_000);
});
