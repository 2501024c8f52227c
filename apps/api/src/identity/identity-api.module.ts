import { Module } from '@nestjs/common';
import { IdentityModule } from '@simfleet/application';
import { AdminUsersController } from './admin-users.controller.js';
import { AuditLogController } from './audit-log.controller.js';
import { InvitesController } from './invites.controller.js';
import { MeController } from './me.controller.js';
import { SessionsController } from './sessions.controller.js';
import { AccountUsersController } from './users.controller.js';

/** Sign-in, people and roles, two-factor authentication, the audit log (docs/identity.md). */
@Module({
  imports: [IdentityModule],
  controllers: [SessionsController, MeController, AccountUsersController, AdminUsersController, InvitesController, AuditLogController],
})
export class IdentityApiModule {}
