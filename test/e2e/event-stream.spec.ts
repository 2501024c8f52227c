import { BULK_CHUNK } from '@simfleet/application';
import { requireServers } from '../harness/isolation.js';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { EventStreamReader } from './support/sse.js';

const streamUrl = (platform: TestPlatform, query = '') => `${platform.url}/v1/events/stream${query ? `?${query}` : ''}`;

/** Every event of the account since `sinceId` (exclusive) as GET /v1/events lists them: the stream's reference. */
async function storedEvents(account: ProvisionedAccount, types: string[]): Promise<Array<{ id: string; type: string; subject: string }>> {
  const out: Array<{ id: string; type: string; subject: string }> = [];
  let cursor: string | null = null;
  do {
    const res: { body: any } = await account.api.get(`/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...res.body.data.filter((e: { type: string }) => types.includes(e.type)));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

describe.each(SHAPES)('live event stream (%s)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  const readers: EventStreamReader[] = [];
  const open = async (...args: Parameters<typeof EventStreamReader.open>) => {
    const reader = await EventStreamReader.open(...args);
    readers.push(reader);
    return reader;
  };

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { EVENT_STREAM_POLL_INTERVAL: '50ms', EVENT_STREAM_HEARTBEAT: '300ms' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
  });
  afterEach(async () => {
    for (const reader of readers.splice(0)) await reader.close();
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('streams an account its own events only, as they are recorded', async () => {
    const a = await createAccount(admin, 'Stream A');
    const b = await createAccount(admin, 'Stream B');
    const [simA] = await orderSims(admin, a, 1);
    const [simB] = await orderSims(admin, b, 1);
    const streamA = await open(streamUrl(platform), a.readKey);
    const streamB = await open(streamUrl(platform), b.readKey);
    expect(streamA.status).toBe(200);
    expect(streamA.headers!.get('content-type')).toMatch(/^text\/event-stream/);

    await activate(a, simA);
    await activate(b, simB);
    await eventually(async () => (streamA.ofType('sim.activated').length && streamB.ofType('sim.activated').length ? true : undefined));
    await a.api.post(`/v1/sims/${simA}/suspend`);
    await eventually(async () => (streamA.ofType('sim.suspended').length ? true : undefined));

    expect(streamA.messages.every((m) => m.data.accountId === a.accountId)).toBe(true);
    expect(streamB.messages.every((m) => m.data.accountId === b.accountId)).toBe(true);
    expect(streamA.ofType('sim.activated').map((m) => m.data.subject)).toEqual([simA]);
    expect(streamB.ofType('sim.activated').map((m) => m.data.subject)).toEqual([simB]);
    expect(streamB.ofType('sim.suspended')).toEqual([]);
    // The envelope is the one GET /v1/events lists.
    const [listed] = (await a.api.get(`/v1/events?type=sim.suspended&subject=${simA}`)).body.data;
    expect(streamA.ofType('sim.suspended')[0].data).toEqual(listed);
  });

  it('filters by type (exact or prefix) and by subject', async () => {
    const account = await createAccount(admin, 'Stream filters');
    const [one, two] = await orderSims(admin, account, 2);
    const onlyOne = await open(streamUrl(platform, `subject=${one}`), account.readKey);
    const suspensions = await open(streamUrl(platform, 'type=sim.suspended'), account.readKey);
    const simPrefix = await open(streamUrl(platform, 'type=sim.*,job.completed'), account.readKey);
    await activate(account, one);
    await activate(account, two);
    await account.api.post(`/v1/sims/${two}/suspend`);
    await eventually(async () => (suspensions.messages.length && simPrefix.ofType('sim.suspended').length ? true : undefined));
    await eventually(async () => (onlyOne.ofType('sim.activated').length ? true : undefined));
    expect(onlyOne.messages.every((m) => m.data.subject === one)).toBe(true);
    expect(suspensions.messages.map((m) => [m.event, m.data.subject])).toEqual([['sim.suspended', two]]);
    expect(simPrefix.messages.every((m) => m.event.startsWith('sim.'))).toBe(true);
    expect(
      simPrefix
        .ofType('sim.activated')
        .map((m) => m.data.subject)
        .sort(),
    ).toEqual([one, two].sort());
  });

  it('resumes after a reconnect with Last-Event-ID: everything recorded meanwhile arrives, nothing twice', async () => {
    const account = await createAccount(admin, 'Stream resume');
    const iccids = await orderSims(admin, account, 40);
    const types = ['sim.activated', 'sim.suspended', 'sim.resumed'];
    const first = await open(streamUrl(platform, `type=${types.join(',')}`), account.readKey);
    for (const iccid of iccids.slice(0, 10)) await activate(account, iccid);
    await eventually(async () => (first.messages.length === 10 ? true : undefined));
    const resumeFrom = first.lastEventId;
    await first.close();

    // While nobody listens: concurrent changes (transactions committing out of their start order).
    await Promise.all(iccids.slice(10).map((iccid) => account.api.post(`/v1/sims/${iccid}/activate`)));
    await Promise.all(iccids.slice(0, 20).map((iccid) => account.api.post(`/v1/sims/${iccid}/suspend`)));

    const second = await open(streamUrl(platform, `type=${types.join(',')}`), account.readKey, { 'last-event-id': resumeFrom });
    // More while it listens, racing with its catch-up.
    await Promise.all(iccids.slice(0, 5).map((iccid) => account.api.post(`/v1/sims/${iccid}/resume`)));
    const stored = await eventually(async () => {
      const all = await storedEvents(account, types);
      return all.length === 40 + 20 + 5 ? all : undefined;
    });
    await eventually(async () => (first.messages.length + second.messages.length >= stored.length ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // anything extra (a duplicate) would arrive by now

    const received = [...first.messages, ...second.messages].map((m) => m.data.id);
    expect(new Set(received).size).toBe(received.length);
    expect(received.sort()).toEqual(stored.map((e) => e.id).sort());
  });

  it('sends heartbeats carrying the position, so a filtered-out stream resumes from there too', async () => {
    const account = await createAccount(admin, 'Stream heartbeat');
    const [iccid] = await orderSims(admin, account, 1);
    const quiet = await open(streamUrl(platform, 'type=invoice.finalized'), account.readKey);
    const watcher = await open(streamUrl(platform, 'type=sim.activated'), account.readKey);
    await activate(account, iccid);
    await eventually(async () => (watcher.messages.length ? true : undefined));
    // Heartbeats sent after the activation was read carry a position past it.
    const seen = quiet.comments.length;
    await eventually(async () => (quiet.comments.slice(seen).filter((c) => c.startsWith('heartbeat')).length >= 2 ? true : undefined));
    expect(quiet.messages).toEqual([]);
    // Resuming from the heartbeat's id does not replay the activation to a stream that asks for it now.
    const resumed = await open(streamUrl(platform, 'type=sim.activated'), account.readKey, { 'last-event-id': quiet.lastEventId });
    await account.api.post(`/v1/sims/${iccid}/suspend`);
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed.ofType('sim.activated')).toEqual([]);
  });

  it('refuses bad requests with a problem naming the field, and needs an account key', async () => {
    const account = await createAccount(admin, 'Stream errors');
    const badId = await open(streamUrl(platform), account.readKey, { 'last-event-id': 'not-a-position' });
    expect(badId.status).toBe(422);
    expect(badId.body.errors).toEqual([{ field: 'Last-Event-ID', message: expect.any(String) }]);
    const badType = await open(streamUrl(platform, 'type=SIM!'), account.readKey);
    expect(badType.status).toBe(422);
    expect(badType.body.errors[0].field).toBe('type/0');
    expect((await open(streamUrl(platform), undefined)).status).toBe(401);
    expect((await open(streamUrl(platform), ADMIN_KEY)).status).toBe(403);
    expect((await open(streamUrl(platform), 'key_unknown.secret')).status).toBe(401);
  });

  it('reports bulk job progress as job.progress events up to completion', async () => {
    const account = await createAccount(admin, 'Stream jobs');
    // Two whole chunks and a part of one: a progress event after each.
    const total = 2 * BULK_CHUNK + 50;
    const [first] = await orderSims(admin, account, total);
    const jobs = await open(streamUrl(platform, 'type=job.*'), account.readKey);
    await activate(account, first);
    // Suspending SIMs still in inventory fails SIM by SIM (cheaply): the job still progresses through all of them.
    const job = await account.api.post('/v1/sims/bulk', { action: 'suspend', filter: {} });
    expect(job.status).toBe(202);
    await eventually(async () => (jobs.ofType('job.completed').length ? true : undefined), 60_000);
    const progress = jobs.ofType('job.progress').map((m) => [m.data.data.processed, m.data.data.succeeded, m.data.data.failed]);
    expect(progress.map(([processed]) => processed)).toEqual([BULK_CHUNK, 2 * BULK_CHUNK, total]);
    for (const [processed, succeeded, failed] of progress) expect(succeeded + failed).toBe(processed);
    expect(progress.at(-1)).toEqual([total, 1, total - 1]);
    expect(jobs.ofType('job.completed')[0].data.data).toMatchObject({ jobId: job.body.id, total, succeeded: 1, failed: total - 1 });
  });
});

// Several API instances behind a load balancer: each reads the shared outbox, so a client may reconnect to another.
requireServers(
  'postgres',
  'redis',
  'influx',
)('live event stream across two API instances', () => {
  let resources: ShapeResources;
  let first: TestPlatform;
  let second: TestPlatform;

  beforeAll(async () => {
    resources = await provisionShape('servers');
    first = await startTestPlatform(resources.env, undefined, { EVENT_STREAM_POLL_INTERVAL: '50ms' });
    second = await startTestPlatform(resources.env, ['api'], { EVENT_STREAM_POLL_INTERVAL: '50ms' });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await resources?.release();
  });

  it('serves on one instance what another recorded, and resumes on the other after a reconnect', async () => {
    const admin = new ApiClient(first.url, ADMIN_KEY);
    const account = await createAccount(admin, 'Two instances');
    const iccids = await orderSims(admin, account, 20);
    const onSecond = await EventStreamReader.open(streamUrl(second, 'type=sim.activated,sim.suspended'), account.readKey);
    for (const iccid of iccids.slice(0, 10)) await activate(account, iccid); // through the first instance
    await eventually(async () => (onSecond.messages.length === 10 ? true : undefined));
    const resumeFrom = onSecond.lastEventId;
    await onSecond.close();

    await Promise.all(iccids.slice(10).map((iccid) => account.api.post(`/v1/sims/${iccid}/activate`)));
    const secondApi = new ApiClient(second.url, account.writeKey);
    await Promise.all(iccids.slice(0, 5).map((iccid) => secondApi.post(`/v1/sims/${iccid}/suspend`)));
    const onFirst = await EventStreamReader.open(streamUrl(first, 'type=sim.activated,sim.suspended'), account.readKey, {
      'last-event-id': resumeFrom,
    });
    try {
      await eventually(async () => (onFirst.messages.length === 15 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      const all = [...onSecond.messages, ...onFirst.messages];
      expect(all.map((m) => m.data.id).sort()).toEqual((await storedEvents(account, ['sim.activated', 'sim.suspended'])).map((e) => e.id).sort());
      expect(
        onFirst
          .ofType('sim.suspended')
          .map((m) => m.data.subject)
          .sort(),
      ).toEqual(iccids.slice(0, 5).sort());
    } finally {
      await onFirst.close();
    }
  });
});
