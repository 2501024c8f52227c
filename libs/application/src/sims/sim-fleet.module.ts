import { Module } from '@nestjs/common';
import { AuditModule } from '../identity/audit-trail.js';
import { BulkJobsService } from './bulk-jobs.service.js';
import { GroupsService } from './groups.service.js';
import { SimOrganisationService } from './sim-organisation.service.js';
import { SimsModule } from './sims.module.js';

const providers = [SimOrganisationService, GroupsService, BulkJobsService];

/** Fleet organisation: naming, tags, groups and their policy, the overview, bulk jobs (which run lifecycle actions; each names who started it). */
@Module({ imports: [SimsModule, AuditModule], providers, exports: providers })
export class SimFleetModule {}
