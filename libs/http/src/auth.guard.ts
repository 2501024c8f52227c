import { CanActivate, Inject, Injectable, SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '@simfleet/application';
import { principalHasScope, type ApiKeyScope, type Principal } from '@simfleet/auth';
import { DomainError, ErrorCode } from '@simfleet/domain';

export const SCOPE_METADATA = 'simfleet:scope';
export const PUBLIC_METADATA = 'simfleet:public';

/** The scope a route needs: `read`, `write` (account keys) or `admin` (the platform key). */
export const RequireScope = (scope: ApiKeyScope) => SetMetadata(SCOPE_METADATA, scope);
/** Operations endpoints that need no key. */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);
export const ADMIN_TOO_METADATA = 'simfleet:admin-too';
/** An account route the platform admin key may also call (across accounts); the handler scopes the data by principal. */
export const AllowAdminToo = () => SetMetadata(ADMIN_TOO_METADATA, true);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_METADATA, targets);
    // Secure by default: a route that forgot its scope is closed (startup also refuses such routes).
    if (!scope) throw new DomainError(ErrorCode.Forbidden, 'This route declares no scope');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match)
      throw new DomainError(
        ErrorCode.Unauthenticated,
        header ? 'The Authorization header must be `Bearer <api key>`' : 'Send your API key as `Authorization: Bearer <api key>`',
      );
    const principal = await this.authenticator.authenticate(match[1]);
    request.principal = principal;
    if (scope === 'admin' && principal.kind !== 'admin')
      throw new DomainError(ErrorCode.Forbidden, 'This route needs the platform admin key', { requiredScope: 'admin' });
    if (scope !== 'admin' && principal.kind === 'admin' && !this.reflector.getAllAndOverride<boolean>(ADMIN_TOO_METADATA, targets)) {
      throw new DomainError(ErrorCode.Forbidden, 'This route acts inside an account: use an API key of that account', { requiredScope: scope });
    }
    if (principal.kind === 'account' && !principalHasScope(principal, scope)) {
      throw new DomainError(ErrorCode.Forbidden, `This API key lacks the \`${scope}\` scope`, { requiredScope: scope });
    }
    return true;
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new DomainError(ErrorCode.Unauthenticated, 'Not authenticated');
  return principal;
});

/** The account the calling key belongs to (account routes only: the guard guarantees an account key). */
export const CurrentAccountId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (principal?.kind !== 'account') throw new DomainError(ErrorCode.Forbidden, 'This route needs an account API key');
  return principal.accountId;
});
