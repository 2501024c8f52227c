import { CanActivate, Inject, Injectable, SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator, SessionsService, type SessionContext } from '@simfleet/application';
import { principalHasScope, type ApiKeyScope, type Principal } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { SESSION_COOKIE, clearedSessionCookie, readCookie } from './cookies.js';

export const SCOPE_METADATA = 'simfleet:scope';
export const PUBLIC_METADATA = 'simfleet:public';
export const SESSION_METADATA = 'simfleet:session';
export const AUDIT_ACTION_METADATA = 'simfleet:audit-action';

/** The scope a route needs (see `API_KEY_SCOPES`): an API key must hold it, a signed-in user's role must include it. */
export const RequireScope = (scope: ApiKeyScope) => SetMetadata(SCOPE_METADATA, scope);
/** Operations endpoints that need no key. */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);
/** A signed-in person's own settings (password, two-factor, session): any user with a browser session, never an API key. */
export const RequireSession = () => SetMetadata(SESSION_METADATA, true);
export const ADMIN_TOO_METADATA = 'simfleet:admin-too';
/** An account route the platform admin key may also call (across accounts); the handler scopes the data by principal. */
export const AllowAdminToo = () => SetMetadata(ADMIN_TOO_METADATA, true);
/** Names a route's action in the audit log when the name derived from its path would not say it well. */
export const AuditAs = (action: string) => SetMetadata(AUDIT_ACTION_METADATA, action);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the audit trail needs to know of the route a request matched (set by the guard). */
export interface RouteAuditInfo {
  declaredStatus: number;
  action?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the request is authenticated by the session cookie. */
    browserSession?: SessionContext;
    routeAudit?: RouteAuditInfo;
  }
}

/** The origin cookie-authenticated writes must come from: PUBLIC_URL's, or the request's own. */
export function ownOrigin(request: FastifyRequest, config: AppConfig): string {
  return config.http.publicUrl ? new URL(config.http.publicUrl).origin : `${request.protocol}://${request.host}`;
}

/** Whether the session cookie must carry `Secure`: COOKIE_SECURE, or (auto) the request came over TLS. */
export const cookieSecure = (request: FastifyRequest, config: AppConfig): boolean =>
  config.identity.cookieSecure === 'auto' ? request.protocol === 'https' : config.identity.cookieSecure;

/**
 * Who calls, and may they: `Authorization: Bearer <api key>` (as always), or the browser session cookie
 * (with the CSRF defence on writes: an `X-CSRF-Token` of the session and an Origin/Referer of our own).
 * Then the route's declaration decides: its scope (a user's role is a set of scopes), a signed-in user
 * for their own settings, or public.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.routeAudit = {
      declaredStatus: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200),
      action: this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION_METADATA, targets),
    };
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_METADATA, targets);
    const sessionRoute = this.reflector.getAllAndOverride<boolean>(SESSION_METADATA, targets);
    // Secure by default: a route that forgot its scope is closed (startup also refuses such routes).
    if (!scope && !sessionRoute) throw new DomainError(ErrorCode.Forbidden, 'This route declares no scope');
    const principal = await this.authenticate(request);
    if (sessionRoute) {
      if (!request.browserSession)
        throw new DomainError(ErrorCode.Forbidden, 'This route is for signed-in users (a browser session), not API keys', {
          reason: 'session-required',
        });
      return true;
    }
    if (request.browserSession?.mustEnrolMfa) {
      throw new DomainError(
        ErrorCode.MfaEnrolmentRequired,
        'Your account requires two-factor authentication: turn it on (POST /v1/users/me/mfa) to continue',
      );
    }
    const who = principal.actor.type === 'user' ? 'Your role' : 'This API key';
    if (scope === 'admin' && principal.kind !== 'admin')
      throw new DomainError(
        ErrorCode.Forbidden,
        `This route needs the platform admin (${principal.actor.type === 'user' ? 'a platform admin user' : 'the admin key'})`,
        {
          requiredScope: 'admin',
        },
      );
    if (scope !== 'admin' && principal.kind === 'admin' && !this.reflector.getAllAndOverride<boolean>(ADMIN_TOO_METADATA, targets)) {
      throw new DomainError(ErrorCode.Forbidden, 'This route acts inside an account: use an API key or a user of that account', {
        requiredScope: scope,
      });
    }
    if (principal.kind === 'account' && !principalHasScope(principal, scope!)) {
      throw new DomainError(ErrorCode.Forbidden, `${who} lacks the \`${scope}\` scope`, { requiredScope: scope });
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new DomainError(ErrorCode.Unauthenticated, 'The Authorization header must be `Bearer <api key>`');
      request.principal = await this.authenticator.authenticate(match[1], request.ip);
      return request.principal;
    }
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token)
      throw new DomainError(ErrorCode.Unauthenticated, 'Send your API key as `Authorization: Bearer <api key>`, or sign in (POST /v1/sessions)');
    let session: SessionContext;
    try {
      session = await this.sessions.authenticate(token);
    } catch (error) {
      // A dead session's cookie is cleared, so that the browser stops sending it.
      if (error instanceof DomainError && error.code === ErrorCode.Unauthenticated) {
        error.details.headers = { 'set-cookie': clearedSessionCookie(cookieSecure(request, this.config)) };
      }
      throw error;
    }
    request.principal = session.principal;
    request.browserSession = session;
    if (!SAFE_METHODS.has(request.method)) this.assertSameOriginWrite(request, token);
    return session.principal;
  }

  /** CSRF defence of cookie-authenticated writes: our own Origin (or Referer), and the session's CSRF token. */
  private assertSameOriginWrite(request: FastifyRequest, sessionToken: string): void {
    const expected = ownOrigin(request, this.config);
    const origin = request.headers.origin ?? originOf(request.headers.referer);
    if (!origin || origin === 'null') {
      throw new DomainError(ErrorCode.CsrfRejected, 'A write with the session cookie needs an Origin (or Referer) header', {
        reason: 'origin-missing',
      });
    }
    if (origin !== expected) {
      throw new DomainError(ErrorCode.CsrfRejected, `A write with the session cookie must come from ${expected}, not ${origin}`, {
        reason: 'origin-mismatch',
      });
    }
    const presented = request.headers['x-csrf-token'];
    if (typeof presented !== 'string' || !presented) {
      throw new DomainError(
        ErrorCode.CsrfRejected,
        'A write with the session cookie needs the X-CSRF-Token header (csrfToken of GET /v1/sessions/current)',
        {
          reason: 'csrf-token-missing',
        },
      );
    }
    if (!this.sessions.csrfMatches(sessionToken, presented)) {
      throw new DomainError(ErrorCode.CsrfRejected, 'The X-CSRF-Token is not this session’s', { reason: 'csrf-token-invalid' });
    }
  }
}

function originOf(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new DomainError(ErrorCode.Unauthenticated, 'Not authenticated');
  return principal;
});

/** The signed-in user's session (routes marked @RequireSession). */
export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): SessionContext => {
  const session = context.switchToHttp().getRequest<FastifyRequest>().browserSession;
  if (!session) throw new DomainError(ErrorCode.Unauthenticated, 'Sign in first');
  return session;
});

/** The account the caller belongs to (account routes only: the guard guarantees an account key or user). */
export const CurrentAccountId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (principal?.kind !== 'account') throw new DomainError(ErrorCode.Forbidden, 'This route needs an account API key or user');
  return principal.accountId;
});
