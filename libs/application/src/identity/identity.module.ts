import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { SecretsModule } from '@simfleet/persistence';
import { AuditModule } from './audit-trail.js';
import { AuthThrottleModule } from './auth-throttle.module.js';
import { DisabledMailer, Mailer, SmtpMailer } from './mailer.js';
import { MfaService } from './mfa.service.js';
import { SessionsService } from './sessions.service.js';
import { UsersService } from './users.service.js';

/** People, their sessions and second factors, and the audit log (docs/identity.md). Not global: import it. */
@Module({
  imports: [AuditModule, AuthThrottleModule, SecretsModule],
  providers: [
    UsersService,
    SessionsService,
    MfaService,
    {
      provide: Mailer,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Mailer =>
        config.identity.smtp ? new SmtpMailer(config.identity.smtp.url, config.identity.smtp.from) : new DisabledMailer(),
    },
  ],
  exports: [UsersService, SessionsService, MfaService, AuditModule, AuthThrottleModule],
})
export class IdentityModule implements OnApplicationShutdown {
  constructor(@Inject(Mailer) private readonly mailer: Mailer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.mailer.close();
  }
}
