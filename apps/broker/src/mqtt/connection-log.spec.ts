import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConnectionChange } from '@simfleet/domain';
import type { EnqueueOptions, JobQueue } from '@simfleet/queue';
import { ConnectionLog } from './connection-log.js';

class FlakyQueue {
  added: Array<{ changes: ConnectionChange[]; jobId?: string }> = [];
  failuresLeft = 0;
  async add(_name: string, payload: { changes: ConnectionChange[] }, options: EnqueueOptions = {}): Promise<void> {
    if (this.failuresLeft-- > 0) throw new Error('Redis is down');
    this.added.push({ changes: payload.changes, jobId: options.jobId });
  }
}

const connected = (connectionId: string): ConnectionChange => ({
  kind: 'connected',
  connectionId,
  iccid: '89883',
  accountId: 'acc',
  brokerId: 'b',
  clientId: 'c',
  at: '2026-11-28T10:00:00.000Z',
});
const ids = (changes: ConnectionChange[]) => changes.map((c) => (c.kind === 'broker-started' ? c.kind : c.connectionId));

describe('ConnectionLog', () => {
  const logger = new Logger('test');
  beforeAll(() => Logger.overrideLogger(false));

  it('queues a change at once and gathers those arriving meanwhile into the next job (deterministic ids)', async () => {
    const queue = new FlakyQueue();
    const log = new ConnectionLog(queue as unknown as JobQueue, 'b', logger);
    log.record(connected('c1'));
    log.record(connected('c2'));
    log.record(connected('c3'));
    await log.drain();
    expect(queue.added.map((a) => ids(a.changes))).toEqual([['c1'], ['c2', 'c3']]);
    for (const a of queue.added) expect(a.jobId).toMatch(/^connections-[\w-]+$/);
  });

  it('keeps the changes and retries while the queue is unavailable', async () => {
    jest.useFakeTimers();
    try {
      const queue = new FlakyQueue();
      queue.failuresLeft = 2;
      const log = new ConnectionLog(queue as unknown as JobQueue, 'b', logger);
      log.record(connected('c1'));
      await jest.advanceTimersByTimeAsync(0); // first attempt fails
      log.record(connected('c2')); // waits for the retry
      await jest.advanceTimersByTimeAsync(1_000); // second attempt fails
      expect(queue.added).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(queue.added.map((a) => ids(a.changes))).toEqual([['c1', 'c2']]);
    } finally {
      jest.useRealTimers();
    }
  });
});
