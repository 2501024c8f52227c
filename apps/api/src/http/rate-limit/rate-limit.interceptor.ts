import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, switchMap, type Observable } from 'rxjs';
import { actorOf } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { RateLimitStore, type RateLimitHit } from './rate-limit-store.js';

const WINDOW_MS = 60_000;

/**
 * Per-API-key rate limit on every /v1 route (docs/api-conventions.md): RATE_LIMIT_PER_MINUTE requests
 * per API key (or signed-in user) per minute. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * and `RateLimit-Policy`; beyond the limit, a 429 problem+json with `Retry-After`. The admin key is exempt.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger('RateLimit');
  private lastFailure = 0;

  constructor(
    @Inject(RateLimitStore) private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal;
    if (!principal || principal.kind === 'admin' || !request.url.startsWith('/v1/')) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.count(actorOf(principal))).pipe(
      switchMap((hit) => {
        if (hit) this.apply(reply, hit);
        return next.handle();
      }),
    );
  }

  private async count(actor: string): Promise<RateLimitHit | null> {
    try {
      return await this.store.hit(actor, WINDOW_MS);
    } catch (error) {
      // The limit protects the platform; an unavailable counter must not take the API down with it.
      if (Date.now() - this.lastFailure > WINDOW_MS) {
        this.lastFailure = Date.now();
        this.logger.warn(`rate limit not enforced: the counter is unavailable (${error instanceof Error ? error.message : String(error)})`);
      }
      return null;
    }
  }

  private apply(reply: FastifyReply, hit: RateLimitHit): void {
    const limit = this.config.rateLimit.perMinute;
    const remaining = Math.max(0, limit - hit.count);
    const reset = Math.max(1, Math.ceil(hit.resetMs / 1000));
    const headers: Record<string, string> = {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(reset),
      'ratelimit-policy': `${limit};w=${WINDOW_MS / 1000}`,
    };
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    if (hit.count > limit) {
      throw new DomainError(ErrorCode.RateLimited, `This API key made more than ${limit} requests in a minute; retry in ${reset} s`, {
        limit,
        retryAfterSeconds: reset,
        headers: { ...headers, 'retry-after': String(reset) },
      });
    }
  }
}
