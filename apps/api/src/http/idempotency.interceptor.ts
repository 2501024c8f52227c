import { createHash } from 'node:crypto';
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, DomainError, ErrorCode } from '@simfleet/domain';
import { IdempotencyRepository, SecretBox, SecretBoxError } from '@simfleet/persistence';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** JSON with object keys sorted at every level: two bodies that are equal as JSON values give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `Idempotency-Key` on POST: the same key and body (compared as JSON values) replay the stored response
 * within IDEMPOTENCY_KEY_TTL; the same key with a different body is a 422; a request still in progress
 * with that key is a 409. Nothing readable is stored: the row is found by a digest of the key, and the
 * response is sealed with a key derived from SECRETS_KEY and the Idempotency-Key, which only the client holds.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(IdempotencyRepository) private readonly store: IdempotencyRepository,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.principal) return next.handle();
    return from(this.handle(context, next, request, String(key)));
  }

  private async handle(context: ExecutionContext, next: CallHandler, request: FastifyRequest, key: string): Promise<unknown> {
    if (!KEY_PATTERN.test(key)) {
      throw DomainError.validation('Idempotency-Key must be 1 to 255 visible ASCII characters', [{ field: 'Idempotency-Key', message: 'invalid' }]);
    }
    const principal = request.principal!.kind === 'account' ? `account:${request.principal!.accountId}` : 'admin';
    const keyDigest = digest(`${principal}\n${key}`);
    const requestHash = digest(`${request.method} ${request.url}\n${canonicalJson(request.body)}`);
    const now = this.clock.now();
    const claim = await this.store.claim(principal, keyDigest, requestHash, now, new Date(now.getTime() + this.config.idempotency.ttlMs));
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const box = this.box.derive(key, `idempotency-response:${principal}`);
    const sealContext = `idempotency_keys:${principal}:${keyDigest}`;
    if (claim.state !== 'claimed') {
      if (claim.requestHash !== requestHash) {
        throw new DomainError(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was used with a different request; use a new key', {
          idempotencyKey: key,
        });
      }
      if (claim.state === 'in-progress')
        throw DomainError.conflict('A request with this Idempotency-Key is still in progress; retry later', { idempotencyKey: key });
      let body: unknown;
      try {
        body = (JSON.parse(box.open(claim.sealedResponse, sealContext)) as { body: unknown }).body;
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        throw DomainError.conflict(
          'The response of this Idempotency-Key can no longer be replayed (the platform key that sealed it was retired); use a new key',
          { idempotencyKey: key },
        );
      }
      reply.header('idempotency-replayed', 'true');
      reply.status(claim.statusCode);
      return body;
    }
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
      await this.store.complete(principal, keyDigest, status, box.seal(JSON.stringify({ body: body ?? null }), sealContext));
      return body;
    } catch (error) {
      await this.store.release(principal, keyDigest);
      throw error;
    }
  }
}
