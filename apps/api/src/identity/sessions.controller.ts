import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SessionsService, type SessionContext, type StartedSession } from '@simfleet/application';
import { PASSWORD_MAX_LENGTH } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError, ErrorCode } from '@simfleet/domain';
import {
  ApiJsonBody,
  ApiProblems,
  ApiPublic,
  ApiRoute,
  AuditAs,
  CurrentSession,
  Public,
  RequireSession,
  SESSION_COOKIE,
  ZodPipe,
  clearedSessionCookie,
  cookieSecure,
  openApiSchema,
  problemContent,
  ownOrigin,
  readCookie,
  sessionCookie,
} from '@simfleet/http';
import { clientOf } from './identity-http.js';
import { sessionView } from './identity.views.js';

const signInBody = z
  .object({
    email: z.string().trim().min(3).max(320),
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
    code: z
      .string()
      .trim()
      .min(6)
      .max(32)
      .optional()
      .describe('The authenticator’s 6-digit code, or a recovery code, when two-factor authentication is on'),
  })
  .strict();

/** Sets the session cookie of a session just started. */
export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, config: AppConfig, started: StartedSession): void {
  void reply.header(
    'set-cookie',
    sessionCookie(started.token, { maxAgeSeconds: config.identity.sessionMaxAgeMs / 1000, secure: cookieSecure(request, config) }),
  );
}

/** Sign-in from a browser must not come from another site (login CSRF): an Origin, when sent, must be ours. */
export function assertNotCrossSite(request: FastifyRequest, config: AppConfig): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(request, config)) {
    throw new DomainError(ErrorCode.CsrfRejected, `Sign-in must come from ${ownOrigin(request, config)}, not ${origin}`, {
      reason: 'origin-mismatch',
    });
  }
}

@ApiTags('sessions')
@Controller('v1/sessions')
export class SessionsController {
  constructor(
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @Public()
  @ApiPublic()
  @ApiJsonBody(signInBody, 'E-mail and password, and the second factor when the user has one')
  @ApiResponse({
    status: 201,
    description: 'Signed in: the `simfleet_session` cookie (HttpOnly, SameSite=Lax) is set; a new session id every time',
    content: { 'application/json': { schema: openApiSchema(sessionView, 'output') } },
  })
  @ApiResponse({
    status: 401,
    description:
      'Wrong e-mail or password (one answer whether or not the e-mail is a user’s); or type `/problems/mfa-required` (send `code`) or `/problems/invalid-code`',
    content: problemContent,
  })
  @ApiProblems(403, 422, 429)
  async signIn(
    @Body(new ZodPipe(signInBody)) body: z.infer<typeof signInBody>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    assertNotCrossSite(request, this.config);
    const started = await this.sessions.signIn(body, clientOf(request), readCookie(request.headers.cookie, SESSION_COOKIE));
    setSessionCookie(reply, request, this.config, started);
    return started.view;
  }

  @Get('current')
  @RequireSession()
  @ApiRoute({ schema: sessionView, description: 'The signed-in user, and a CSRF token for this session' })
  current(@CurrentSession() session: SessionContext) {
    return session.view;
  }

  @Delete('current')
  @HttpCode(204)
  @RequireSession()
  @AuditAs('sessions.sign-out')
  @ApiRoute({ status: 204, schema: z.null(), description: 'Signed out: the session ends and its cookie is cleared' })
  async signOut(@CurrentSession() session: SessionContext, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.sessions.signOut(session.sessionId);
    void reply.header('set-cookie', clearedSessionCookie(cookieSecure(request, this.config)));
  }

  @Delete()
  @HttpCode(204)
  @RequireSession()
  @AuditAs('sessions.sign-out-everywhere')
  @ApiRoute({ status: 204, schema: z.null(), description: 'Signed out everywhere: every session of this user ends' })
  async signOutEverywhere(
    @CurrentSession() session: SessionContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.sessions.signOutEverywhere(session.principal.actor.id);
    void reply.header('set-cookie', clearedSessionCookie(cookieSecure(request, this.config)));
  }
}
