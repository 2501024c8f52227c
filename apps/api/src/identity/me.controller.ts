import { Body, Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MfaService, UsersService, type SessionContext } from '@simfleet/application';
import { PASSWORD_MAX_LENGTH } from '@simfleet/auth';
import { ApiJsonBody, ApiRoute, AuditAs, CurrentSession, RequireSession, ZodPipe } from '@simfleet/http';
import { mfaStartView, recoveryCodesView, userView } from './identity.views.js';
import { newPasswordInput } from './new-password.js';

const passwordBody = z
  .object({
    currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
    newPassword: newPasswordInput(),
  })
  .strict();
const codeBody = z
  .object({ code: z.string().trim().min(6).max(32).describe('A current 6-digit code from the authenticator (or, to turn it off, a recovery code)') })
  .strict();

/** A signed-in person's own settings: password and two-factor authentication. */
@ApiTags('users')
@Controller('v1/users/me')
@RequireSession()
export class MeController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(MfaService) private readonly mfa: MfaService,
  ) {}

  @Get()
  @ApiRoute({ schema: userView, description: 'The signed-in user' })
  me(@CurrentSession() session: SessionContext) {
    return this.users.get(session.view.user.accountId, session.principal.actor.id);
  }

  @Post('password')
  @HttpCode(204)
  @AuditAs('users.password.change')
  @ApiJsonBody(passwordBody)
  @ApiRoute({ status: 204, schema: z.null(), description: 'Changed; the user’s other sessions end (this one goes on)' }, 422)
  async changePassword(@CurrentSession() session: SessionContext, @Body(new ZodPipe(passwordBody)) body: z.infer<typeof passwordBody>) {
    await this.users.changePassword(session.principal.actor.id, session.sessionId, body.currentPassword, body.newPassword);
  }

  @Post('mfa')
  @AuditAs('users.mfa.start')
  @ApiRoute({ status: 201, schema: mfaStartView, description: 'A new TOTP secret, pending until confirmed with a code from it' }, 409)
  startMfa(@CurrentSession() session: SessionContext) {
    return this.mfa.start(session.principal.actor.id);
  }

  @Post('mfa/confirm')
  @HttpCode(200)
  @AuditAs('users.mfa.enable')
  @ApiJsonBody(codeBody)
  @ApiRoute({ schema: recoveryCodesView, description: 'Two-factor authentication is on; the recovery codes are shown once' }, 409, 422)
  confirmMfa(@CurrentSession() session: SessionContext, @Body(new ZodPipe(codeBody)) body: z.infer<typeof codeBody>) {
    return this.mfa.confirm(session.principal.actor.id, body.code);
  }

  @Delete('mfa')
  @HttpCode(204)
  @AuditAs('users.mfa.disable')
  @ApiJsonBody(codeBody, 'A current code (or a recovery code) proves the authenticator is at hand')
  @ApiRoute({ status: 204, schema: z.null(), description: 'Two-factor authentication is off (refused while the account requires it)' }, 409, 422)
  async disableMfa(@CurrentSession() session: SessionContext, @Body(new ZodPipe(codeBody)) body: z.infer<typeof codeBody>) {
    await this.mfa.disable(session.principal.actor.id, body.code);
  }
}
