import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SessionsService, UsersService } from '@simfleet/application';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { ApiJsonBody, ApiProblems, ApiPublic, Public, ZodPipe, openApiSchema } from '@simfleet/http';
import { clientOf } from './identity-http.js';
import { inviteInfoView, sessionView } from './identity.views.js';
import { assertNotCrossSite, setSessionCookie } from './sessions.controller.js';
import { newPasswordInput } from './new-password.js';

// One-time tokens travel in request bodies, never in URLs (which access logs and proxies keep).
const token = z.string().trim().min(20).max(200).describe('The token of the link (after `#token=`)');
const password = newPasswordInput();
const inspectBody = z.object({ token }).strict();
const acceptBody = z.object({ token, password, name: z.string().trim().min(1).max(200).optional() }).strict();
const resetRequestBody = z.object({ email: z.string().trim().min(3).max(320) }).strict();
const resetBody = z.object({ token, password }).strict();

const problems = () => ApiProblems(404, 410, 422);

/** What a person does from an e-mailed link, before they can sign in: accept an invite, reset a password. */
@ApiTags('sessions')
@Controller('v1')
@Public()
export class InvitesController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('invites/inspect')
  @ApiPublic()
  @HttpCode(200)
  @ApiJsonBody(inspectBody)
  @ApiResponse({
    status: 200,
    description: 'Who the invite is for (the token is not used up)',
    content: { 'application/json': { schema: openApiSchema(inviteInfoView, 'output') } },
  })
  @problems()
  inspect(@Body(new ZodPipe(inspectBody)) body: z.infer<typeof inspectBody>) {
    return this.users.inspectInvite(body.token);
  }

  @Post('invites/accept')
  @ApiPublic()
  @ApiJsonBody(acceptBody, 'Sets the password (and name) and signs in')
  @ApiResponse({
    status: 201,
    description: 'Accepted and signed in (the session cookie is set); the invite cannot be used again',
    content: { 'application/json': { schema: openApiSchema(sessionView, 'output') } },
  })
  @ApiResponse({ status: 410, description: 'The invite expired (`/problems/token-expired`) or was already used (`/problems/token-used`)' })
  @problems()
  async accept(
    @Body(new ZodPipe(acceptBody)) body: z.infer<typeof acceptBody>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    assertNotCrossSite(request, this.config);
    const client = clientOf(request);
    const user = await this.users.acceptInvite(body.token, body.password, body.name, client);
    const started = await this.sessions.start(user, client);
    setSessionCookie(reply, request, this.config, started);
    return started.view;
  }

  @Post('password-resets')
  @ApiPublic()
  @HttpCode(202)
  @ApiJsonBody(resetRequestBody, 'Forgot password: e-mails a reset link (needs SMTP_URL and PUBLIC_URL)')
  @ApiResponse({
    status: 202,
    description: 'Always the same answer, whether or not the e-mail is a user’s',
    content: { 'application/json': { schema: openApiSchema(z.object({ message: z.string() }), 'output') } },
  })
  @ApiProblems(422, 429)
  async requestReset(@Body(new ZodPipe(resetRequestBody)) body: z.infer<typeof resetRequestBody>, @Req() request: FastifyRequest) {
    await this.users.requestPasswordReset(body.email, clientOf(request));
    return { message: 'If this e-mail belongs to a user, a reset link is on its way' };
  }

  @Post('password-resets/accept')
  @ApiPublic()
  @HttpCode(204)
  @ApiJsonBody(resetBody)
  @ApiResponse({ status: 204, description: 'The password is set; every session of the user ended: sign in' })
  @ApiResponse({ status: 410, description: 'The link expired (`/problems/token-expired`) or was already used (`/problems/token-used`)' })
  @problems()
  async reset(@Body(new ZodPipe(resetBody)) body: z.infer<typeof resetBody>, @Req() request: FastifyRequest) {
    await this.users.acceptPasswordReset(body.token, body.password, clientOf(request));
  }
}
