import { Global, Module } from '@nestjs/common';
import { GroupRepository, JobRepository, SimFleetRepository } from '@simfleet/persistence';
import { AuditModule } from '../identity/audit-trail.js';
import { BulkJobsService } from './bulk-jobs.service.js';
import { GroupsService } from './groups.service.js';
import { SimOrganisationService } from './sim-organisation.service.js';

const providers = [SimFleetRepository, GroupRepository, JobRepository, SimOrganisationService, GroupsService, BulkJobsService];

/**
 * Fleet organisation: naming, tags, groups and their policy, the overview, bulk jobs. Global so that any
 * role (the alerts engine reads SimOrganisationService.effectivePolicy) can inject it.
 */
@Global()
@Module({ imports: [AuditModule], providers, exports: providers })
export class SimFleetModule {}
