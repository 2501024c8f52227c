import type { FastifyRequest } from 'fastify';
import type { Caller, ClientInfo } from '@simfleet/application';
import type { Principal } from '@simfleet/auth';
import type { AppConfig } from '@simfleet/config';
import { DomainError } from '@simfleet/domain';
import { ownOrigin } from '@simfleet/http';

export const clientOf = (request: FastifyRequest): ClientInfo => ({
  requestId: request.id,
  address: request.ip,
  userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 300) : null,
});

export const callerOf = (principal: Principal, request: FastifyRequest): Caller => ({
  principal,
  origin: { requestId: request.id, address: request.ip },
});

/** Links in invites and resets point at PUBLIC_URL, or at the origin the request came to. */
export const linkBaseOf = (request: FastifyRequest, config: AppConfig): string => config.http.publicUrl ?? ownOrigin(request, config);

/** The account of an `/v1/accounts/{id}/…` route: the caller's own (another account's is not found), or any for the platform admin. */
export function accountRealm(principal: Principal, accountId: string): string {
  if (principal.kind === 'account' && principal.accountId !== accountId) throw DomainError.notFound('Account', accountId);
  return accountId;
}
