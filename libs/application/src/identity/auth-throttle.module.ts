import { createHash } from 'node:crypto';
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { RedisConnections, RedisConnectionsModule } from '@simfleet/queue';
import { Clock, DomainError, ErrorCode, normaliseEmail } from '@simfleet/domain';
import { FailureCounterStore, MemoryFailureCounterStore, RedisFailureCounterStore, Throttle, type ThrottlePolicy } from './auth-throttle.js';

const emailKey = (email: string) => `signin:user:${createHash('sha256').update(normaliseEmail(email)).digest('base64url')}`;

/** A 429 with Retry-After when an attempt must wait. */
export async function assertNotThrottled(waitMs: number, message = 'Too many failed attempts'): Promise<void> {
  if (waitMs <= 0) return;
  const seconds = Math.ceil(waitMs / 1000);
  throw new DomainError(ErrorCode.RateLimited, `${message}: retry in ${seconds} s`, {
    retryAfterSeconds: seconds,
    headers: { 'retry-after': String(seconds) },
  });
}

/**
 * Brute-force throttling (growing delays): failed sign-ins per e-mail (whether or not it is a user's, so
 * the delays tell nothing) and per address, and requests with invalid API keys per address.
 */
@Injectable()
export class AuthThrottle {
  private readonly throttle: Throttle;
  private readonly perUser: ThrottlePolicy;
  private readonly perAddress: ThrottlePolicy;

  constructor(
    @Inject(FailureCounterStore) store: FailureCounterStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { failuresPerUser, failuresPerAddress, maxDelayMs } = config.identity.throttle;
    this.perUser = { freeFailures: failuresPerUser, maxDelayMs };
    this.perAddress = { freeFailures: failuresPerAddress, maxDelayMs };
    // Counters outlive the longest delay, so that a patient attacker keeps waiting it.
    this.throttle = new Throttle(store, Math.max(maxDelayMs * 2, 3_600_000));
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** Milliseconds to wait before this sign-in may be evaluated (0: now). */
  signInWait(email: string, address: string | null): Promise<number> {
    const keys: Array<[string, ThrottlePolicy]> = [[emailKey(email), this.perUser]];
    if (address) keys.push([`signin:addr:${address}`, this.perAddress]);
    return this.throttle.retryAfter(keys, this.now());
  }

  signInFailed(email: string, address: string | null): Promise<void> {
    return this.throttle.fail([emailKey(email), ...(address ? [`signin:addr:${address}`] : [])], this.now());
  }

  /** A success forgets the e-mail's failures (not the address's: one's own account does not reset a scan). */
  signInSucceeded(email: string): Promise<void> {
    return this.throttle.clear(emailKey(email));
  }

  /** Self-service password resets e-mail the user: at most a few per e-mail before delays (no inbox flooding). */
  resetWait(email: string): Promise<number> {
    return this.throttle.retryAfter([[`reset:${emailKey(email)}`, this.perUser]], this.now());
  }

  resetRequested(email: string): Promise<void> {
    return this.throttle.fail([`reset:${emailKey(email)}`], this.now());
  }

  apiKeyWait(address: string | null): Promise<number> {
    return address ? this.throttle.retryAfter([[`apikey:addr:${address}`, this.perAddress]], this.now()) : Promise.resolve(0);
  }

  async apiKeyFailed(address: string | null): Promise<void> {
    if (address) await this.throttle.fail([`apikey:addr:${address}`], this.now());
  }
}

/** The counters are in Redis (shared by API instances) when configured, else in memory. */
@Module({
  imports: [RedisConnectionsModule],
  providers: [
    {
      provide: FailureCounterStore,
      inject: [RedisConnections],
      useFactory: (connections: RedisConnections): FailureCounterStore =>
        connections.choose<FailureCounterStore>({
          redis: (redis) => new RedisFailureCounterStore(redis),
          local: () => new MemoryFailureCounterStore(),
        }),
    },
    AuthThrottle,
  ],
  exports: [AuthThrottle],
})
export class AuthThrottleModule implements OnApplicationShutdown {
  constructor(@Inject(FailureCounterStore) private readonly store: FailureCounterStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
