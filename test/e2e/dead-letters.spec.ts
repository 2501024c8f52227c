import { DeadLetterRepository } from '@simfleet/persistence';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const HOUR = 3_600_000;

describe.each(SHAPES)('dead letters and their replay (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('queues a dead letter’s job again, once, and the records it held are stored', async () => {
    const account = await createAccount(admin, 'Dead letters');
    const [iccid] = await orderSims(admin, account, 1);
    await activate(account, iccid);
    // A telemetry job that failed every attempt earlier (the database was away for longer than its 40
    // attempts): what the worker recorded (test/e2e/worker-crash.spec.ts makes one for real in the servers shape).
    const startedAt = new Date(Date.now() - 2 * HOUR).toISOString();
    const payload = {
      records: [
        {
          kind: 'session',
          accountId: account.accountId,
          iccid,
          receivedAt: new Date(Date.now() - HOUR).toISOString(),
          record: { sessionId: 'dead-1', startedAt, endedAt: null, bytesUp: 300, bytesDown: 700, mcc: '208', mnc: '01', rat: 'LTE-M' },
        },
      ],
    };
    const deadLetters = platform.platform.app.get(DeadLetterRepository);
    await deadLetters.insert({
      id: `dl_${shape}_1`,
      queue: 'telemetry.ingest',
      jobName: 'telemetry.ingest',
      jobId: 'ingest-earlier-1',
      payload,
      error: 'connect ECONNREFUSED 127.0.0.1:5432',
      attempts: 40,
      failedAt: new Date(),
    });
    const listed = await admin.get('/v1/admin/dead-letters');
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: `dl_${shape}_1`, jobName: 'telemetry.ingest', payload, attempts: 40, replayedAt: null, replayJobId: null }),
    ]);

    expect((await account.api.post(`/v1/admin/dead-letters/dl_${shape}_1/replay`)).status).toBe(403);
    const replay = await admin.post(`/v1/admin/dead-letters/dl_${shape}_1/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: `dl_${shape}_1`, replayJobId: `replay-dl_${shape}_1`, replayedAt: expect.any(String), payload });
    const usage = () =>
      account.api.get(`/v1/sims/${iccid}/usage?from=${new Date(Date.now() - 3 * HOUR).toISOString()}&to=${new Date().toISOString()}&interval=day`);
    await eventually(async () => ((await usage()).body.totals?.sessions === 1 ? true : undefined), 30_000);

    // Again: answered as it stands, nothing queued twice.
    const again = await admin.post(`/v1/admin/dead-letters/dl_${shape}_1/replay`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(replay.body);
    await new Promise((r) => setTimeout(r, 500));
    expect((await usage()).body.totals).toEqual({ bytesUp: 300, bytesDown: 700, bytesTotal: 1000, sessions: 1 });
    expect((await admin.get('/v1/admin/dead-letters')).body.data).toEqual([expect.objectContaining({ replayedAt: replay.body.replayedAt })]);
    const started = await account.api.get(`/v1/events?type=session.started&subject=${iccid}`);
    expect(started.body.data).toHaveLength(1);
  });

  it('answers 404 for an unknown dead letter and 409 for a job that no longer exists, as problem documents', async () => {
    const missing = await admin.post('/v1/admin/dead-letters/dl_nope/replay');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    await platform.platform.app.get(DeadLetterRepository).insert({
      id: `dl_${shape}_gone`,
      queue: 'reports.legacy',
      jobName: 'reports.legacy',
      jobId: null,
      payload: {},
      error: 'gone',
      attempts: 5,
      failedAt: new Date(),
    });
    const gone = await admin.post(`/v1/admin/dead-letters/dl_${shape}_gone/replay`);
    expect(gone.status).toBe(409);
    expect(gone.body).toMatchObject({ status: 409, jobName: 'reports.legacy' });
    expect((await admin.get('/v1/admin/dead-letters')).body.data.find((d: { id: string }) => d.id === `dl_${shape}_gone`).replayedAt).toBeNull();
  });
});
