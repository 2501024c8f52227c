import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { SecretsModule } from '@simfleet/persistence';
import { AuditModule } from './audit-trail.js';
import { AuthThrottleModule } from './auth-throttle.module.js';
import { DisabledMailer, Mailer, SmtpMailer } from './mailer.js';
import { MfaService } from './mfa.service.js';
import { SessionsService } from './sessions.service.js';
import { UsersService } from './users.service.js';

/** At startup, TOTP secrets sealed with a previous SECRETS_KEY are sealed with the current one. */
@Injectable()
export class MfaSecretsResealer implements OnApplicationBootstrap {
  constructor(@Inject(MfaService) private readonly mfa: MfaService) {}

  async onApplicationBootstrap(): Promise<void> {
    const resealed = await this.mfa.resealSecrets();
    if (resealed) new Logger('Secrets').log(`sealed the TOTP secrets of ${resealed} user(s) with the current SECRETS_KEY`);
  }
}

/** People, their sessions and second factors, and the audit log (docs/identity.md). Not global: import it. */
@Module({
  imports: [AuditModule, AuthThrottleModule, SecretsModule],
  providers: [
    UsersService,
    SessionsService,
    MfaService,
    MfaSecretsResealer,
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
