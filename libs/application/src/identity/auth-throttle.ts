import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisConnections } from '@simfleet/queue';

/** Consecutive failures under one key (an e-mail, an address) and when the last one happened. */
export interface FailureCount {
  failures: number;
  lastFailureAt: number;
}

/**
 * Failure counters of sign-ins and API keys. In memory in the embedded shape; in Redis (shared by every
 * API instance) when REDIS_URL is set; chosen in IdentityModule. Counters are forgotten `ttlMs` after
 * their last failure.
 */
export abstract class FailureCounterStore {
  abstract get(key: string): Promise<FailureCount | null>;
  abstract fail(key: string, at: number, ttlMs: number): Promise<FailureCount>;
  abstract clear(key: string): Promise<void>;
  abstract close(): Promise<void>;
}

export class MemoryFailureCounterStore extends FailureCounterStore {
  private readonly counts = new Map<string, FailureCount & { forgetAt: number }>();

  async get(key: string): Promise<FailureCount | null> {
    const count = this.counts.get(key);
    if (!count) return null;
    // Forgetting uses the wall clock, like Redis expiry: it only bounds memory.
    if (count.forgetAt < Date.now()) {
      this.counts.delete(key);
      return null;
    }
    return { failures: count.failures, lastFailureAt: count.lastFailureAt };
  }

  async fail(key: string, at: number, ttlMs: number): Promise<FailureCount> {
    const previous = await this.get(key);
    if (this.counts.size > 100_000) this.sweep();
    const next = { failures: (previous?.failures ?? 0) + 1, lastFailureAt: at, forgetAt: Date.now() + ttlMs };
    this.counts.set(key, next);
    return { failures: next.failures, lastFailureAt: at };
  }

  async clear(key: string): Promise<void> {
    this.counts.delete(key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, count] of this.counts) if (count.forgetAt < now) this.counts.delete(key);
  }

  async close(): Promise<void> {
    this.counts.clear();
  }
}

// Atomic: one more failure, at this instant, forgotten ttl after it.
const FAIL_SCRIPT = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return failures
`;

export class RedisFailureCounterStore extends FailureCounterStore {
  private readonly redis: Redis;

  private readonly prefix: string;

  /** Its connection comes from the process's RedisConnections, which reconnects it and closes it at shutdown. */
  constructor(connections: RedisConnections) {
    super();
    this.prefix = connections.prefix;
    this.redis = connections.open('auth-throttle', { maxRetriesPerRequest: 1 });
  }

  private key(key: string): string {
    return `${this.prefix}:auth-failures:${key}`;
  }

  async get(key: string): Promise<FailureCount | null> {
    const [failures, last] = await this.redis.hmget(this.key(key), 'failures', 'last');
    return failures ? { failures: Number(failures), lastFailureAt: Number(last) } : null;
  }

  async fail(key: string, at: number, ttlMs: number): Promise<FailureCount> {
    const failures = (await this.redis.eval(FAIL_SCRIPT, 1, this.key(key), String(at), String(ttlMs))) as number;
    return { failures, lastFailureAt: at };
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  async close(): Promise<void> {}
}

export interface ThrottlePolicy {
  /** Failures allowed before delays start. */
  freeFailures: number;
  /** Longest delay; delays double from one second up to it. */
  maxDelayMs: number;
}

const BASE_DELAY_MS = 1_000;

/**
 * How long to wait before the next attempt after `failures` consecutive failures: nothing while they are
 * within the allowance, then 1 s, 2 s, 4 s… up to the maximum.
 */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.freeFailures) return 0;
  const exponent = Math.min(30, failures - policy.freeFailures);
  return Math.min(policy.maxDelayMs, BASE_DELAY_MS * 2 ** exponent);
}

/** A throttled key and how long until it may try again. */
export interface ThrottleVerdict {
  retryAfterMs: number;
}

/**
 * Growing delays after failures, per key: `check` says whether an attempt may be evaluated now,
 * `fail` counts a failure, `clear` forgets a key after a success.
 */
export class Throttle {
  private readonly logger = new Logger('AuthThrottle');
  private lastStoreError = 0;

  constructor(
    private readonly store: FailureCounterStore,
    private readonly forgetAfterMs: number,
  ) {}

  /** The longest wait among `keys` (0: go ahead). An unavailable store throttles nothing (and says so in the log). */
  async retryAfter(keys: ReadonlyArray<[string, ThrottlePolicy]>, now: number): Promise<number> {
    let wait = 0;
    for (const [key, policy] of keys) {
      const count = await this.guard(() => this.store.get(key), null);
      if (!count) continue;
      wait = Math.max(wait, count.lastFailureAt + delayAfter(count.failures, policy) - now);
    }
    return Math.max(0, wait);
  }

  async fail(keys: readonly string[], now: number): Promise<void> {
    for (const key of keys) await this.guard(() => this.store.fail(key, now, this.forgetAfterMs), null);
  }

  async clear(key: string): Promise<void> {
    await this.guard(() => this.store.clear(key), undefined);
  }

  private async guard<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (Date.now() - this.lastStoreError > 60_000) {
        this.lastStoreError = Date.now();
        this.logger.warn(
          `sign-in throttling not enforced: the counter store is unavailable (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      return fallback;
    }
  }
}
