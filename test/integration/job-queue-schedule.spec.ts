import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { InProcessJobQueue, type JobHandler, type JobQueue, type JobName } from '@simfleet/queue';
import { eventually } from '../e2e/support/http.js';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';
import { bullMqQueue } from '../support/bullmq-queue.js';

// JobQueue.schedule: a repeatable job in both implementations; with BullMQ one schedule per cluster,
// however many workers register it.

const handlers = (runs: string[]) => {
  const record: JobHandler<JobName> = async (_payload, context) => {
    runs.push(context.jobId);
  };
  return new Map<JobName, JobHandler<JobName>>([['alerts.scan', record]]);
};
const hooks = { onDeadLetter: async () => undefined };

describe('in-process schedule', () => {
  it('runs the job every interval until the queue closes', async () => {
    const queue: JobQueue = new InProcessJobQueue();
    const runs: string[] = [];
    await queue.startWorkers(handlers(runs), hooks);
    await queue.schedule('alerts.scan', 50, {});
    await eventually(async () => (runs.length >= 3 ? true : undefined));
    await queue.close();
    const after = runs.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(runs.length).toBe(after);
  });

  it('rescheduling replaces the interval rather than adding a second timer', async () => {
    const queue: JobQueue = new InProcessJobQueue();
    const runs: string[] = [];
    await queue.schedule('alerts.scan', 50, {});
    await queue.schedule('alerts.scan', 3_600_000, {});
    await queue.startWorkers(handlers(runs), hooks);
    // Not a timing assertion: with the 50 ms timer gone, nothing can run at all in this window.
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toEqual([]);
    await queue.close();
  });
});

requireServers('redis')('BullMQ schedule', () => {
  it('keeps one job scheduler in Redis when several workers register it, and runs it repeatedly', async () => {
    const prefix = uniqueRedisPrefix('schedule').replace(/:$/, '');
    const workers = [bullMqQueue(serverUrl('redis'), prefix), bullMqQueue(serverUrl('redis'), prefix)];
    const runs: string[] = [];
    const connection = new Redis(serverUrl('redis'), { maxRetriesPerRequest: null });
    const inspect = new Queue('alerts.scan', { connection, prefix });
    try {
      for (const worker of workers) {
        await worker.startWorkers(handlers(runs), hooks);
        await worker.schedule('alerts.scan', 200, {});
      }
      expect(await inspect.getJobSchedulersCount()).toBe(1);
      const [scheduler] = await inspect.getJobSchedulers();
      expect(scheduler).toMatchObject({ key: 'schedule:alerts.scan', every: 200 });
      await eventually(async () => (runs.length >= 3 ? true : undefined), 20_000);
      // Each run is one scheduled iteration, taken by one of the two workers: no iteration runs twice.
      expect(new Set(runs).size).toBe(runs.length);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await inspect.close();
      connection.disconnect();
    }
  });
});
