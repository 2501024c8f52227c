import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { SimBlocksService } from '@simfleet/application';
import { luhnCheckDigit } from '@simfleet/domain';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const connectDevice = (platform: TestPlatform, iccid: string, secret: string): Promise<MqttClient> =>
  mqtt.connectAsync(platform.mqttUrl, {
    username: iccid,
    password: secret,
    clientId: `dev-${iccid}-${Date.now()}`,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });

/** Resolves with the next message the client receives on `topic`. */
const nextMessage = (client: MqttClient, topic: string, timeoutMs = 15_000): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
    };
    client.on('message', onMessage);
  });

describe.each(SHAPES)('wake-up and MT SMS over the network simulator (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;
  let sims: string[];
  let otherSims: string[];
  const secrets = new Map<string, string>();

  const smsOf = async (id: string) => (await account.api.get(`/v1/sms/${id}`)).body;
  const statusBecomes = (id: string, status: string, timeoutMs = 20_000) =>
    eventually(async () => {
      const sms = await smsOf(id);
      return sms.status === status ? sms : undefined;
    }, timeoutMs);
  const eventTypes = async (id: string) =>
    ((await account.api.get(`/v1/events?subject=${id}&limit=100`)).body.data as Array<{ type: string }>).map((e) => e.type);

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { SMS_RETRY_INTERVAL: '300ms', SMS_MAX_SEGMENTS: '3' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'SMS Tests');
    other = await createAccount(admin, 'Other Tenant');
    sims = await orderSims(admin, account, 6);
    otherSims = await orderSims(admin, other, 1);
    for (const iccid of sims.slice(0, 5)) secrets.set(iccid, await activate(account, iccid));
    await activate(other, otherSims[0]);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('delivers a wake-up SMS to a real MQTT client subscribed to things/{iccid}/sms', async () => {
    const iccid = sims[0];
    const device = await connectDevice(platform, iccid, secrets.get(iccid)!);
    try {
      await device.subscribeAsync(`things/${iccid}/sms`, { qos: 1 });
      const received = nextMessage(device, `things/${iccid}/sms`);
      const res = await account.api.post(`/v1/sims/${iccid}/wake-up`);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ iccid, kind: 'wake-up', text: 'WAKE-UP', encoding: 'gsm7', segments: 1, gateway: 'network-simulator' });
      expect(['queued', 'sent', 'delivered']).toContain(res.body.status);
      expect(res.body.submittedAt).toEqual(expect.any(String));
      expect(res.body).not.toHaveProperty('accountId');

      expect(await received).toEqual({
        id: res.body.id,
        kind: 'wake-up',
        text: 'WAKE-UP',
        encoding: 'gsm7',
        segments: 1,
        sentAt: expect.any(String),
      });
      const delivered = await statusBecomes(res.body.id, 'delivered');
      expect(delivered.deliveredAt).toEqual(expect.any(String));
      expect(delivered.sentAt).toEqual(expect.any(String));
      expect(delivered.statusReason).toBeNull();
      await eventually(async () => {
        const types = await eventTypes(res.body.id);
        return ['sms.queued', 'sms.sent', 'sms.delivered'].every((t) => types.includes(t)) ? types : undefined;
      });
    } finally {
      await device.endAsync();
    }
  });

  if (shape === 'servers') {
    it('delivers through a broker running apart from the API and the worker (over Redis)', async () => {
      const broker = await startTestPlatform(resources.env, ['broker']);
      const iccid = sims[0];
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.platform.mqttPorts.tcp}`, {
        username: iccid,
        password: secrets.get(iccid)!,
        clientId: `dev-${iccid}-apart`,
        reconnectPeriod: 0,
        protocolVersion: 4,
      });
      try {
        await device.subscribeAsync(`things/${iccid}/sms`, { qos: 1 });
        const received = nextMessage(device, `things/${iccid}/sms`);
        const res = await account.api.post(`/v1/sims/${iccid}/wake-up`, { text: 'from afar' });
        expect(res.status).toBe(202);
        expect((await received).id).toBe(res.body.id);
        await statusBecomes(res.body.id, 'delivered');
      } finally {
        await device.endAsync();
        await broker.stop();
      }
    });
  }

  it('sends a UCS-2 text in concatenated segments, and lists the SIM’s SMS page by page', async () => {
    const iccid = sims[1];
    const device = await connectDevice(platform, iccid, secrets.get(iccid)!);
    try {
      await device.subscribeAsync(`things/${iccid}/sms`, { qos: 1 });
      const text = 'Привет! '.repeat(10); // 80 UCS-2 units: two segments of 67
      const received = nextMessage(device, `things/${iccid}/sms`);
      const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ kind: 'sms', text, encoding: 'ucs2', segments: 2 });
      expect((await received).text).toBe(text);
      await statusBecomes(res.body.id, 'delivered');

      const second = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'Price: 5€ {ok}' });
      expect(second.body).toMatchObject({ encoding: 'gsm7', segments: 1 });
      await statusBecomes(second.body.id, 'delivered');
      const page1 = await account.api.get(`/v1/sims/${iccid}/sms?limit=1`);
      expect(page1.status).toBe(200);
      expect(page1.body.data.map((m: { id: string }) => m.id)).toEqual([second.body.id]);
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const page2 = await account.api.get(`/v1/sims/${iccid}/sms?limit=1&cursor=${page1.body.nextCursor}`);
      expect(page2.body.data.map((m: { id: string }) => m.id)).toEqual([res.body.id]);
      expect(page2.body.nextCursor).toBeNull();
    } finally {
      await device.endAsync();
    }
  });

  it('expires an SMS whose device stays offline past the validity period (billed: it was submitted)', async () => {
    const iccid = sims[2];
    const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'are you there?', validitySeconds: 2 });
    expect(res.status).toBe(202);
    const sent = await eventually(async () => {
      const sms = await smsOf(res.body.id);
      return /not connected/.test(sms.statusReason ?? '') ? sms : undefined;
    });
    expect(sent.status).toBe('sent');
    const expired = await statusBecomes(res.body.id, 'expired');
    expect(expired).toMatchObject({ deliveredAt: null, submittedAt: expect.any(String), statusReason: expect.stringMatching(/validity period/) });
    await eventually(async () => ((await eventTypes(res.body.id)).includes('sms.expired') ? true : undefined));
  });

  it('retries while the device is connected but not subscribed, and delivers once it subscribes', async () => {
    const iccid = sims[3];
    const device = await connectDevice(platform, iccid, secrets.get(iccid)!);
    try {
      const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'subscribe first', validitySeconds: 120 });
      const waiting = await eventually(async () => {
        const sms = await smsOf(res.body.id);
        return /not subscribed/.test(sms.statusReason ?? '') ? sms : undefined;
      });
      expect(waiting.status).toBe('sent');
      const received = nextMessage(device, `things/${iccid}/sms`);
      await device.subscribeAsync(`things/${iccid}/sms`, { qos: 1 });
      expect((await received).id).toBe(res.body.id);
      await statusBecomes(res.body.id, 'delivered');
    } finally {
      await device.endAsync();
    }
  });

  it('fails a pending SMS when its SIM is suspended before delivery', async () => {
    const iccid = sims[4];
    const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'never arrives', validitySeconds: 600 });
    expect(res.status).toBe(202);
    expect((await account.api.post(`/v1/sims/${iccid}/suspend`)).status).toBe(200);
    const failed = await statusBecomes(res.body.id, 'failed');
    expect(failed.statusReason).toMatch(/suspended/);
    expect((await account.api.post(`/v1/sims/${iccid}/resume`)).status).toBe(200);
  });

  describe('refusals', () => {
    it('refuses a text longer than SMS_MAX_SEGMENTS segments with a 422, and records nothing to bill', async () => {
      const iccid = sims[0];
      const before = (await account.api.get(`/v1/sims/${iccid}/sms?limit=1000`)).body.data.length;
      const tooLong = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'a'.repeat(153 * 3 + 1) });
      expect(tooLong.status).toBe(422);
      expect(tooLong.headers.get('content-type')).toContain('application/problem+json');
      expect(tooLong.body.errors).toEqual([{ field: 'text', message: expect.stringContaining('needs 4 GSM-7 segments') }]);
      const ucs2 = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'ж'.repeat(67 * 3 + 1) });
      expect(ucs2.status).toBe(422);
      expect(ucs2.body.errors[0].message).toContain('UCS-2');
      // The limit itself is accepted: 3 full concatenated GSM-7 segments (escapes count 2 septets).
      const atLimit = await account.api.post(`/v1/sims/${iccid}/sms`, { text: '€'.repeat(76) + 'a'.repeat(153 * 3 - 152 - 1) });
      expect(atLimit.status).toBe(202);
      expect(atLimit.body.segments).toBe(3);
      const empty = await account.api.post(`/v1/sims/${iccid}/sms`, { text: '' });
      expect(empty.status).toBe(422);
      const after = (await account.api.get(`/v1/sims/${iccid}/sms?limit=1000`)).body.data as Array<{ id: string; submittedAt: string | null }>;
      expect(after.length).toBe(before + 1);
    });

    it('lists every invalid field of the body', async () => {
      const res = await account.api.post(`/v1/sims/${sims[0]}/sms`, { text: 42, validitySeconds: 0, priority: 'high' });
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['priority', 'text', 'validitySeconds']);
      const missing = await account.api.post(`/v1/sims/${sims[0]}/sms`, {});
      expect(missing.status).toBe(422);
      expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual(['text']);
    });

    it('refuses a SIM that is not active with a 409 naming its state', async () => {
      const inventory = sims[5];
      const res = await account.api.post(`/v1/sims/${inventory}/wake-up`);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ currentStatus: 'inventory', iccid: inventory, detail: expect.stringContaining('only an active SIM') });
    });

    it('refuses an active SIM under a system block with a 409 naming the block', async () => {
      const iccid = sims[2];
      const blocks = platform.platform.app.get(SimBlocksService, { strict: false });
      expect(await blocks.block(account.accountId, iccid, 'unauthorized_imei', 'test: device in an unauthorized IMEI')).toBe(true);
      try {
        const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'blocked?' });
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ currentStatus: 'active', blocks: ['unauthorized_imei'], detail: expect.stringContaining('blocked') });
      } finally {
        await blocks.unblock(account.accountId, iccid, 'unauthorized_imei', 'test over');
      }
      expect((await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'unblocked', validitySeconds: 1 })).status).toBe(202);
    });

    it('answers 404 for an unknown SIM, another tenant’s SIM and another tenant’s message; 403 for a read key', async () => {
      const unknown = `898830399999999999${luhnCheckDigit('898830399999999999')}`;
      expect((await account.api.post(`/v1/sims/${unknown}/sms`, { text: 'hi' })).status).toBe(404);
      expect((await account.api.post(`/v1/sims/${otherSims[0]}/sms`, { text: 'hi' })).status).toBe(404);
      expect((await account.api.get(`/v1/sims/${otherSims[0]}/sms`)).status).toBe(404);
      const theirs = await other.api.post(`/v1/sims/${otherSims[0]}/sms`, { text: 'theirs', validitySeconds: 1 });
      expect(theirs.status).toBe(202);
      expect((await account.api.get(`/v1/sms/${theirs.body.id}`)).status).toBe(404);
      expect((await account.api.get('/v1/sms/sms_nope')).status).toBe(404);
      const reader = account.api.withKey(account.readKey);
      expect((await reader.post(`/v1/sims/${sims[0]}/sms`, { text: 'hi' })).status).toBe(403);
      expect((await reader.get(`/v1/sims/${sims[0]}/sms`)).status).toBe(200);
      expect((await new ApiClient(platform.url).post(`/v1/sims/${sims[0]}/wake-up`)).status).toBe(401);
    });

    it('answers 404 on the provider webhook when no provider is configured', async () => {
      const res = await new ApiClient(platform.url).post(
        '/v1/sms-provider/delivery-reports',
        { messageId: 'x', status: 'delivered' },
        { authorization: 'Bearer whatever-secret-value' },
      );
      expect(res.status).toBe(404);
    });
  });
});

interface ProviderRequest {
  authorization?: string;
  body: Record<string, unknown>;
}

/** A stand-in for an outside SMS provider (the operator is an outside party): records requests, answers as told. */
class StandInProvider {
  readonly requests: ProviderRequest[] = [];
  answer: { status: number; body: unknown } = { status: 201, body: { id: 'prov-1' } };
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        this.requests.push({ authorization: req.headers.authorization, body: JSON.parse(raw) as Record<string, unknown> });
        res.writeHead(this.answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(this.answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/messages`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe.each(SHAPES)('MT SMS through an HTTP SMS provider (%s shape)', (shape) => {
  const TOKEN = 'provider-token-123';
  const SECRET = 'delivery-report-secret-0123456789';
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let iccid: string;
  const provider = new StandInProvider();
  const report = (body: unknown, secret = SECRET) =>
    new ApiClient(platform.url).post('/v1/sms-provider/delivery-reports', body, { authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    await provider.start();
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, {
      SMS_PROVIDER_URL: provider.url,
      SMS_PROVIDER_TOKEN: TOKEN,
      SMS_PROVIDER_WEBHOOK_SECRET: SECRET,
    });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Provider Tests');
    [iccid] = await orderSims(admin, account, 1);
    await activate(account, iccid);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
    await provider.stop();
  });

  it('submits to the provider (the billing moment) and applies its delivery reports', async () => {
    provider.answer = { status: 201, body: { id: 'prov-42' } };
    const sim = (await account.api.get(`/v1/sims/${iccid}`)).body;
    const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'hello via provider', validitySeconds: 3600 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'sent', gateway: 'http-provider', submittedAt: expect.any(String), sentAt: expect.any(String) });
    const request = provider.requests.at(-1)!;
    expect(request.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.body).toEqual({
      reference: res.body.id,
      to: sim.msisdn,
      text: 'hello via provider',
      encoding: 'gsm7',
      segments: 1,
      validityPeriodSeconds: 3600,
      kind: 'sms',
    });

    expect((await report({ messageId: 'prov-42', status: 'delivered' }, 'wrong-secret-wrong-secret')).status).toBe(401);
    expect((await new ApiClient(platform.url).post('/v1/sms-provider/delivery-reports', { messageId: 'prov-42', status: 'delivered' })).status).toBe(
      401,
    );
    expect((await report({ messageId: 'prov-unknown', status: 'delivered' })).status).toBe(404);
    const bad = await report({ messageId: '', status: 'read' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['messageId', 'status']);

    const delivered = await report({ messageId: 'prov-42', status: 'delivered' });
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ id: res.body.id, status: 'delivered', deliveredAt: expect.any(String) });
    // A late or repeated report does not move a delivered message back.
    expect((await report({ messageId: 'prov-42', status: 'failed', reason: 'late' })).body.status).toBe('delivered');
    const types = ((await account.api.get(`/v1/events?subject=${res.body.id}&limit=100`)).body.data as Array<{ type: string }>)
      .map((e) => e.type)
      .sort();
    expect(types).toEqual(['sms.delivered', 'sms.queued', 'sms.sent']);
  });

  it('marks a message the provider refuses as failed, not submitted (not billed)', async () => {
    provider.answer = { status: 400, body: { error: 'invalid destination' } };
    const res = await account.api.post(`/v1/sims/${iccid}/sms`, { text: 'refused' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'failed', submittedAt: null, statusReason: expect.stringContaining('HTTP 400') });
    provider.answer = { status: 201, body: { id: 'prov-43' } };
  });

  it('applies an expiry report', async () => {
    provider.answer = { status: 202, body: { id: 'prov-44' } };
    const res = await account.api.post(`/v1/sims/${iccid}/wake-up`, { text: 'WAKE' });
    expect(res.body.status).toBe('sent');
    const expired = await report({ messageId: 'prov-44', status: 'expired', reason: 'handset off' });
    expect(expired.body).toMatchObject({ status: 'expired', statusReason: 'handset off' });
  });
});
