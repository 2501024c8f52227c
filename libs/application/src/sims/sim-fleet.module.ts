import { Module } from '@nestjs/common';
import { BulkJobsService } from './bulk-jobs.service.js';
import { GroupsService } from './groups.service.js';
import { SimOrganisationService } from './sim-organisation.service.js';
import { SimsModule } from './sims.module.js';

const providers = [SimOrganisationService, GroupsService, BulkJobsService];

/** Fleet organisation: naming, tags, groups and their policy, the overview, bulk jobs (which run lifecycle actions). */
@Module({ imports: [SimsModule], providers, exports: providers })
export class SimFleetModule {}
