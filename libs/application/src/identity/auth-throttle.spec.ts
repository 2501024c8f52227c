import { MemoryFailureCounterStore, Throttle, delayAfter } from './auth-throttle.js';

describe('growing delays after failed attempts', () => {
  const policy = { freeFailures: 3, maxDelayMs: 60_000 };

  it('allows the free failures, then doubles the delay up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9, 20].map((n) => delayAfter(n, policy))).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 60_000, 60_000]);
  });

  it('makes a key wait after its failures and forgets it on clear', async () => {
    const throttle = new Throttle(new MemoryFailureCounterStore(), 3_600_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.retryAfter([['user:a', policy]], t0)).toBe(0);
      await throttle.fail(['user:a', 'addr:1'], t0);
    }
    expect(await throttle.retryAfter([['user:a', policy]], t0 + 200)).toBe(800);
    expect(await throttle.retryAfter([['user:a', policy]], t0 + 1_000)).toBe(0);
    await throttle.fail(['user:a'], t0 + 1_000);
    expect(await throttle.retryAfter([['user:a', policy]], t0 + 1_000)).toBe(2_000);
    expect(await throttle.retryAfter([['user:b', policy]], t0 + 1_000)).toBe(0);
    expect(await throttle.retryAfter([['addr:1', { freeFailures: 10, maxDelayMs: 1 }]], t0 + 1_000)).toBe(0);
    await throttle.clear('user:a');
    expect(await throttle.retryAfter([['user:a', policy]], t0 + 1_000)).toBe(0);
  });
});
