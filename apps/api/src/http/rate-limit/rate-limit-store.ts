import type { Redis } from 'ioredis';
import type { RedisConnections } from '@simfleet/queue';

export interface RateLimitHit {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetMs: number;
}

/**
 * Counts requests per key in fixed windows that start at a key's first request. In memory in the
 * embedded shape; in Redis (shared by every API instance) when REDIS_URL is set; chosen in RateLimitModule.
 */
export abstract class RateLimitStore {
  abstract hit(key: string, windowMs: number): Promise<RateLimitHit>;
  abstract close(): Promise<void>;
}

export class MemoryRateLimitStore extends RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private sweptAt = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const now = this.now();
    this.sweep(now, windowMs);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.resetAt - now };
  }

  /** Forgets ended windows once per window length, so keys seen once do not accumulate. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.sweptAt < windowMs) return;
    this.sweptAt = now;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}

// Atomic: count, start the window on the first request (or repair a key left without expiry), report its TTL.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

export class RedisRateLimitStore extends RateLimitStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(connections: RedisConnections) {
    super();
    this.redis = connections.open('rate-limit', { maxRetriesPerRequest: 1 });
    this.prefix = connections.prefix;
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, `${this.prefix}:ratelimit:${key}`, String(windowMs))) as [number, number];
    return { count, resetMs: ttl };
  }

  /** Its connection is closed with the process's other Redis connections. */
  async close(): Promise<void> {}
}
