import { InProcessJobQueue, type DeadLetter, type JobHandler, type JobQueue, type JobName } from '@simfleet/queue';
import { eventually } from '../e2e/support/http.js';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';
import { bullMqQueue } from '../support/bullmq-queue.js';

// The two queue implementations behind one port must behave alike: retry, dead-letter, dedupe, drain.
const implementations: Array<[string, () => JobQueue, jest.Describe]> = [
  ['in-process', () => new InProcessJobQueue(), describe],
  ['bullmq', () => bullMqQueue(serverUrl('redis'), uniqueRedisPrefix('queue').replace(/:$/, '')), requireServers('redis')],
];

describe.each(implementations)('%s job queue', (_kind, create, suite) => {
  suite('behaviour', () => {
    let queue: JobQueue;
    const deadLetters: DeadLetter[] = [];
    const failures: Array<{ job: JobName; final: boolean }> = [];
    const calls: Array<{ name: JobName; payload: unknown; attempt: number; redelivery: boolean }> = [];
    const unrecordable = new Set<string>();
    const failUntilAttempt = new Map<string, number>();
    const gates = new Map<string, Promise<void>>();

    beforeAll(async () => {
      queue = create();
      const record: JobHandler<JobName> = async (payload, context) => {
        const name = (payload as { name: JobName }).name;
        calls.push({ name, payload, attempt: context.attempt, redelivery: context.redelivery });
        const key = JSON.stringify(payload);
        await gates.get(key);
        if (context.attempt < (failUntilAttempt.get(key) ?? 0)) throw new Error(`attempt ${context.attempt} fails`);
      };
      // Every job name needs a handler for a worker; these tests use two of them.
      const handlers = new Map<JobName, JobHandler<JobName>>([
        ['orders.fulfil', record],
        ['alerts.scan', record],
      ]);
      await queue.startWorkers(handlers, {
        onFailure: (job, _error, final) => failures.push({ job, final }),
        onDeadLetter: async (dead) => {
          // The dead-letter list is down once for these jobs.
          if (unrecordable.delete(dead.jobId)) throw new Error('the database is down');
          deadLetters.push(dead);
        },
      });
    });
    afterAll(() => queue?.close());

    it('runs a job once it is added, and ignores a second add with the same job id while it is known', async () => {
      const payload = { name: 'orders.fulfil', orderId: 'ord_dedupe' } as never;
      // The first run holds until the duplicate was added: a producer retrying while the job is queued or running.
      let release!: () => void;
      gates.set(JSON.stringify(payload), new Promise<void>((resolve) => (release = resolve)));
      await queue.add('orders.fulfil', payload, { jobId: 'dedupe-1' });
      await queue.add('orders.fulfil', payload, { jobId: 'dedupe-1' });
      release();
      await eventually(async () => (calls.some((c) => (c.payload as { orderId: string }).orderId === 'ord_dedupe') ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      expect(calls.filter((c) => (c.payload as { orderId: string }).orderId === 'ord_dedupe')).toHaveLength(1);
    });

    it('retries a failing job with backoff until it succeeds', async () => {
      const payload = { name: 'orders.fulfil', orderId: 'ord_retry' };
      failUntilAttempt.set(JSON.stringify(payload), 2);
      await queue.add('orders.fulfil', payload as never);
      await eventually(
        async () => (calls.some((c) => (c.payload as { orderId: string }).orderId === 'ord_retry' && c.attempt === 2) ? true : undefined),
        15_000,
      );
      expect(calls.filter((c) => (c.payload as { orderId: string }).orderId === 'ord_retry').map((c) => c.attempt)).toEqual([1, 2]);
      expect(failures).toContainEqual({ job: 'orders.fulfil', final: false });
    });

    it('dead-letters a job that fails every attempt, with its payload and last error', async () => {
      const payload = { name: 'alerts.scan', marker: 'poison' };
      failUntilAttempt.set(JSON.stringify(payload), 99);
      await queue.add('alerts.scan', payload as never, { jobId: 'poison-1' });
      const dead = await eventually(async () => deadLetters.find((d) => d.jobId === 'poison-1'), 20_000);
      expect(dead).toMatchObject({ jobName: 'alerts.scan', payload, error: 'attempt 2 fails', attempts: 2 });
      expect(failures).toContainEqual({ job: 'alerts.scan', final: true });
    });

    it('keeps a job whose dead letter cannot be recorded, and records it once the list answers', async () => {
      const payload = { name: 'alerts.scan', marker: 'unrecorded' };
      failUntilAttempt.set(JSON.stringify(payload), 99);
      unrecordable.add('unrecorded-1');
      await queue.add('alerts.scan', payload as never, { jobId: 'unrecorded-1' });
      const dead = await eventually(async () => deadLetters.find((d) => d.jobId === 'unrecorded-1'), 30_000);
      expect(dead).toMatchObject({ jobName: 'alerts.scan', payload, error: 'attempt 2 fails' });
      expect(unrecordable.has('unrecorded-1')).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(deadLetters.filter((d) => d.jobId === 'unrecorded-1')).toHaveLength(1);
    }, 40_000);

    it('tells a handler when a payload may have been processed before: a retry, or a job added as a redelivery', async () => {
      const retried = { name: 'orders.fulfil', orderId: 'ord_redelivery' };
      failUntilAttempt.set(JSON.stringify(retried), 2);
      await queue.add('orders.fulfil', retried as never);
      const replayed = { name: 'orders.fulfil', orderId: 'ord_replayed' };
      await queue.add('orders.fulfil', replayed as never, { jobId: 'replay-x', redelivery: true });
      const runsOf = (orderId: string) => calls.filter((c) => (c.payload as { orderId?: string }).orderId === orderId);
      await eventually(async () => (runsOf('ord_redelivery').length === 2 && runsOf('ord_replayed').length === 1 ? true : undefined), 15_000);
      expect(runsOf('ord_redelivery').map((c) => [c.attempt, c.redelivery])).toEqual([
        [1, false],
        [2, true],
      ]);
      expect(runsOf('ord_replayed').map((c) => [c.attempt, c.redelivery])).toEqual([[1, true]]);
    });

    it('reports its depth per queue and answers a ping', async () => {
      await queue.ping();
      const depth = await queue.depth();
      expect(depth['orders.fulfil']).toEqual(expect.any(Number));
      expect(depth['telemetry.ingest']).toBe(0);
    });
  });
});

describe('in-process queue shutdown', () => {
  it('runs what is already queued before it closes, then refuses new jobs', async () => {
    const queue = new InProcessJobQueue();
    const done: string[] = [];
    const slow: JobHandler<JobName> = async (payload) => {
      await new Promise((r) => setTimeout(r, 50));
      done.push((payload as { orderId: string }).orderId);
    };
    await queue.startWorkers(new Map([['orders.fulfil', slow]]), { onDeadLetter: async () => undefined });
    for (let i = 0; i < 6; i++) await queue.add('orders.fulfil', { orderId: `o${i}` });
    await queue.close();
    expect(done.sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5']);
    await expect(queue.add('orders.fulfil', { orderId: 'late' })).rejects.toThrow(/closed/);
  });
});
