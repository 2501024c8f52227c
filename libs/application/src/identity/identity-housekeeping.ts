import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock } from '@simfleet/domain';
import { UserRepository } from '@simfleet/persistence';
import { AuditModule, AuditTrail } from './audit-trail.js';

/** Sessions and tokens are kept a day after they end (for support questions), then forgotten. */
const KEEP_ENDED_MS = 86_400_000;

/** Retention of the audit log, and forgetting ended sessions and spent tokens (the worker's `identity.purge`). */
@Injectable()
export class IdentityHousekeeping {
  private readonly logger = new Logger('IdentityHousekeeping');

  constructor(
    @Inject(AuditTrail) private readonly audit: AuditTrail,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async purge(): Promise<{ auditEntries: number; sessions: number; tokens: number }> {
    const auditEntries = await this.audit.purge(this.config.identity.auditRetentionMs);
    const forgotten = await this.users.purgeExpired(new Date(this.clock.now().getTime() - KEEP_ENDED_MS));
    if (auditEntries || forgotten.sessions || forgotten.tokens) {
      this.logger.log(`purged ${auditEntries} audit entries past retention, ${forgotten.sessions} ended sessions, ${forgotten.tokens} spent tokens`);
    }
    return { auditEntries, ...forgotten };
  }
}

@Module({ imports: [AuditModule], providers: [IdentityHousekeeping], exports: [IdentityHousekeeping] })
export class IdentityHousekeepingModule {}
