import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UsersService } from '@simfleet/application';
import { ACCOUNT_ROLES, type Principal } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { AllowAdminToo, ApiJsonBody, ApiQueryFrom, ApiRoute, AuditAs, CurrentPrincipal, RequireScope, ZodPipe, pageQuery } from '@simfleet/http';
import { pageOf } from '../http/views.js';
import { accountRealm, callerOf, linkBaseOf } from './identity-http.js';
import { accountSecurityView, invitedUserView, oneTimeLinkView, userView } from './identity.views.js';

const email = z.email({ message: 'an e-mail address' }).max(320);
const name = z.string().trim().min(1).max(200);
export const inviteBody = z.object({ email, role: z.enum(ACCOUNT_ROLES), name: name.optional() }).strict();
export const userPatchBody = z
  .object({
    name: name.nullable().optional(),
    role: z.enum(ACCOUNT_ROLES).optional(),
    disabled: z.boolean().optional().describe('true: the user cannot sign in and their sessions end; false: enabled again'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of name, role, disabled' });
export const pageParams = z.object(pageQuery);
const securityBody = z.object({ mfaRequired: z.boolean().describe('Everyone in the account must use two-factor authentication') }).strict();

/** The people of an account: invites, roles, disabling, password resets (owners, or the platform admin). */
@ApiTags('users')
@Controller('v1/accounts/:id')
@RequireScope('users')
@AllowAdminToo()
export class AccountUsersController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('users')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(userView) }, 404, 422)
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>,
  ) {
    return this.users.list(accountRealm(principal, id), query.limit, query.cursor);
  }

  @Post('users')
  @AuditAs('accounts.users.invite')
  @ApiJsonBody(inviteBody, 'Invites a person: they choose their password through the one-time link')
  @ApiRoute(
    { status: 201, schema: invitedUserView, description: 'The invited user and the invite link (shown once; e-mailed when SMTP is set)' },
    403,
    404,
    409,
    422,
  )
  invite(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(inviteBody)) body: z.infer<typeof inviteBody>,
    @Req() request: FastifyRequest,
  ) {
    return this.users.invite(callerOf(principal, request), accountRealm(principal, id), body, linkBaseOf(request, this.config));
  }

  @Get('users/:userId')
  @ApiRoute({ schema: userView }, 404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('userId') userId: string) {
    return this.users.get(accountRealm(principal, id), userId);
  }

  @Patch('users/:userId')
  @ApiJsonBody(userPatchBody, 'Only the fields sent change')
  @ApiRoute({ schema: userView, description: 'The updated user (the last active owner cannot lose the role or be disabled)' }, 403, 404, 409, 422)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
    @Body(new ZodPipe(userPatchBody)) body: z.infer<typeof userPatchBody>,
    @Req() request: FastifyRequest,
  ) {
    return this.users.update(callerOf(principal, request), accountRealm(principal, id), userId, body);
  }

  @Delete('users/:userId')
  @HttpCode(204)
  @ApiRoute({ status: 204, schema: z.null(), description: 'Removed (their sessions end; the audit log keeps their actions)' }, 403, 404, 409)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    await this.users.remove(callerOf(principal, request), accountRealm(principal, id), userId);
  }

  @Post('users/:userId/invite')
  @AuditAs('accounts.users.reinvite')
  @ApiRoute({ status: 201, schema: oneTimeLinkView, description: 'A new invite link (the previous one stops working)' }, 403, 404, 409)
  reinvite(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.reinvite(callerOf(principal, request), accountRealm(principal, id), userId, linkBaseOf(request, this.config));
  }

  @Post('users/:userId/password-reset')
  @AuditAs('accounts.users.password-reset')
  @ApiRoute(
    { status: 201, schema: oneTimeLinkView, description: 'A one-time password reset link for the user (shown once; e-mailed when SMTP is set)' },
    403,
    404,
    409,
  )
  passwordReset(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.issuePasswordReset(callerOf(principal, request), accountRealm(principal, id), userId, linkBaseOf(request, this.config));
  }

  @Delete('users/:userId/mfa')
  @HttpCode(200)
  @AuditAs('accounts.users.mfa-reset')
  @ApiRoute({ schema: userView, description: 'The user’s two-factor authentication is off (a lost device); their sessions end' }, 403, 404)
  resetMfa(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.resetMfa(callerOf(principal, request), accountRealm(principal, id), userId);
  }

  @Get('security')
  @ApiRoute({ schema: accountSecurityView, description: 'The account’s sign-in rules' }, 404)
  security(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.users.accountSecurity(accountRealm(principal, id));
  }

  @Put('security')
  @ApiJsonBody(securityBody)
  @ApiRoute(
    { schema: accountSecurityView, description: 'Requiring two-factor authentication takes effect at everyone’s next request' },
    404,
    409,
    422,
  )
  setSecurity(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(securityBody)) body: z.infer<typeof securityBody>,
    @Req() request: FastifyRequest,
  ) {
    return this.users.setAccountSecurity(callerOf(principal, request), accountRealm(principal, id), body.mfaRequired);
  }
}
