import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UsersService } from '@simfleet/application';
import type { Principal } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { ApiJsonBody, ApiQueryFrom, ApiRoute, AuditAs, CurrentPrincipal, RequireScope, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';
import { callerOf, linkBaseOf } from './identity-http.js';
import { invitedUserView, oneTimeLinkView, userView } from './identity.views.js';
import { pageParams } from './users.controller.js';

const adminInviteBody = z
  .object({ email: z.email({ message: 'an e-mail address' }).max(320), name: z.string().trim().min(1).max(200).optional() })
  .strict();
const adminPatchBody = z
  .object({ name: z.string().trim().min(1).max(200).nullable().optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of name, disabled' });

/** The platform's own admin users (role `admin`: the platform admin scope, like the admin key). */
@ApiTags('admin')
@Controller('v1/admin/users')
@RequireScope('admin')
export class AdminUsersController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(userView) }, 422)
  list(@Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    return this.users.list(null, query.limit, query.cursor);
  }

  @Post()
  @AuditAs('admin.users.invite')
  @ApiJsonBody(adminInviteBody, 'Invites a platform admin user')
  @ApiRoute(
    { status: 201, schema: invitedUserView, description: 'The invited user and the invite link (shown once; e-mailed when SMTP is set)' },
    409,
    422,
  )
  invite(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(adminInviteBody)) body: z.infer<typeof adminInviteBody>,
    @Req() request: FastifyRequest,
  ) {
    return this.users.invite(callerOf(principal, request), null, { ...body, role: 'admin' }, linkBaseOf(request, this.config));
  }

  @Get(':userId')
  @ApiRoute({ schema: userView }, 404)
  get(@Param('userId') userId: string) {
    return this.users.get(null, userId);
  }

  @Patch(':userId')
  @ApiJsonBody(adminPatchBody, 'Only the fields sent change')
  @ApiRoute({ schema: userView }, 404, 409, 422)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('userId') userId: string,
    @Body(new ZodPipe(adminPatchBody)) body: z.infer<typeof adminPatchBody>,
    @Req() request: FastifyRequest,
  ) {
    return this.users.update(callerOf(principal, request), null, userId, body);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiRoute({ status: 204, schema: z.null(), description: 'Removed' }, 404)
  async remove(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    await this.users.remove(callerOf(principal, request), null, userId);
  }

  @Post(':userId/invite')
  @AuditAs('admin.users.reinvite')
  @ApiRoute({ status: 201, schema: oneTimeLinkView, description: 'A new invite link (the previous one stops working)' }, 404, 409)
  reinvite(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.reinvite(callerOf(principal, request), null, userId, linkBaseOf(request, this.config));
  }

  @Post(':userId/password-reset')
  @AuditAs('admin.users.password-reset')
  @ApiRoute({ status: 201, schema: oneTimeLinkView, description: 'A one-time password reset link' }, 404, 409)
  passwordReset(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.issuePasswordReset(callerOf(principal, request), null, userId, linkBaseOf(request, this.config));
  }

  @Delete(':userId/mfa')
  @HttpCode(200)
  @AuditAs('admin.users.mfa-reset')
  @ApiRoute({ schema: userView, description: 'The user’s two-factor authentication is off; their sessions end' }, 404)
  resetMfa(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string, @Req() request: FastifyRequest) {
    return this.users.resetMfa(callerOf(principal, request), null, userId);
  }
}
