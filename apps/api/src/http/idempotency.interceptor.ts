import { createHash } from 'node:crypto';
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { IdempotencyRepository } from '@simfleet/persistence';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST: the same key and body replay the stored response; the same key with a
 * different body is a 422; a request still in progress with that key is a 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(IdempotencyRepository) private readonly store: IdempotencyRepository,
    @Inject(Reflector) private readonly reflector: Reflector,
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
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('base64url');
    const claim = await this.store.claim(principal, key, requestHash);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (claim.state !== 'claimed') {
      if (claim.requestHash !== requestHash) {
        throw new DomainError(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was used with a different request; use a new key', {
          idempotencyKey: key,
        });
      }
      if (claim.state === 'in-progress')
        throw DomainError.conflict('A request with this Idempotency-Key is still in progress; retry later', { idempotencyKey: key });
      reply.header('idempotency-replayed', 'true');
      reply.status(claim.statusCode);
      return claim.body;
    }
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
      await this.store.complete(principal, key, status, body);
      return body;
    } catch (error) {
      await this.store.release(principal, key);
      throw error;
    }
  }
}
