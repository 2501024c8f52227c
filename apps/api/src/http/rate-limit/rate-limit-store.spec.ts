import { MemoryRateLimitStore } from './rate-limit-store.js';

describe('MemoryRateLimitStore', () => {
  it('counts per key in a window that starts at the key’s first request', async () => {
    let now = Date.parse('2026-11-28T12:00:30Z');
    const store = new MemoryRateLimitStore(() => now);
    expect(await store.hit('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 20_000;
    expect(await store.hit('a', 60_000)).toEqual({ count: 2, resetMs: 40_000 });
    expect(await store.hit('b', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 40_000;
    expect(await store.hit('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    expect(await store.hit('b', 60_000)).toEqual({ count: 2, resetMs: 20_000 });
  });
});
