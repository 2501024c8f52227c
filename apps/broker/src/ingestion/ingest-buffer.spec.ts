import type { TelemetryEnvelope } from '@simfleet/domain';
import type { JobQueue } from '@simfleet/queue';
import { IngestBuffer } from './ingest-buffer.js';

const record = (n: number): TelemetryEnvelope => ({
  kind: 'location',
  accountId: 'acc_1',
  iccid: '8988303000000000017',
  receivedAt: '2026-11-28T10:00:00.000Z',
  record: { lat: n, lon: 0, accuracyM: 5, source: 'gps', at: '2026-11-28T10:00:00.000Z' },
});

function fakeQueue(fail = false) {
  const added: Array<{ records: TelemetryEnvelope[]; jobId?: string }> = [];
  const queue = {
    add: async (_name: string, payload: { records: TelemetryEnvelope[] }, options?: { jobId?: string }) => {
      if (fail) throw new Error('redis down');
      added.push({ records: payload.records, jobId: options?.jobId });
    },
  } as unknown as JobQueue;
  return { queue, added };
}

describe('IngestBuffer', () => {
  it('queues a full batch at once and resolves every waiter only after the add', async () => {
    const { queue, added } = fakeQueue();
    const buffer = new IngestBuffer(queue, 3, 10_000);
    const waits = [buffer.submit([record(1)]), buffer.submit([record(2), record(3)])];
    await Promise.all(waits);
    expect(added).toHaveLength(1);
    expect(added[0].records.map((r) => (r.record as { lat: number }).lat)).toEqual([1, 2, 3]);
    expect(added[0].jobId).toMatch(/^ingest-[A-Za-z0-9_-]{12}-1$/);
  });

  it('queues a partial batch after the wait; every batch has its own job id, also across buffers (restarts, brokers)', async () => {
    const { queue, added } = fakeQueue();
    const buffer = new IngestBuffer(queue, 100, 5);
    await buffer.submit([record(7)]);
    await buffer.submit([record(7)]);
    await new IngestBuffer(queue, 100, 5).submit([record(7)]);
    expect(added).toHaveLength(3);
    expect(new Set(added.map((a) => a.jobId)).size).toBe(3);
    expect(added[1].jobId).toMatch(/-2$/);
  });

  it('rejects every waiter of a batch that could not be queued (the broker then withholds the PUBACK)', async () => {
    const { queue } = fakeQueue(true);
    const buffer = new IngestBuffer(queue, 2, 10_000);
    const results = await Promise.allSettled([buffer.submit([record(1)]), buffer.submit([record(2)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('flushes what it holds when drained', async () => {
    const { queue, added } = fakeQueue();
    const buffer = new IngestBuffer(queue, 100, 60_000);
    const pending = buffer.submit([record(9)]);
    await buffer.drain();
    await pending;
    expect(added).toHaveLength(1);
  });
});
