import { Global, Module } from '@nestjs/common';
import { GroupRepository, JobRepository, SimCountsRepository, SimFleetRepository } from '@simfleet/persistence';
import { BulkJobsService } from './bulk-jobs.service.js';
import { FleetMaintenance } from './fleet-maintenance.service.js';
import { GroupsService } from './groups.service.js';
import { SimOrganisationService } from './sim-organisation.service.js';

const providers = [
  SimFleetRepository,
  SimCountsRepository,
  GroupRepository,
  JobRepository,
  SimOrganisationService,
  GroupsService,
  BulkJobsService,
  FleetMaintenance,
];

/**
 * Fleet organisation: naming, tags, groups and their policy, the overview, bulk jobs. Global so that any
 * role (the alerts engine reads SimOrganisationService.effectivePolicy) can inject it.
 */
@Global()
@Module({ providers, exports: providers })
export class SimFleetModule {}
