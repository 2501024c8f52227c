import { Module } from '@nestjs/common';
import { SimFleetModule, SimsModule } from '@simfleet/application';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GroupsController } from '../groups/groups.controller.js';
import { JobsController } from '../jobs/jobs.controller.js';
import { SimOrganisationController } from './sim-organisation.controller.js';
import { SimRefInterceptor } from './sim-ref.interceptor.js';

/** Fleet organisation routes (SIM naming/tags/policy, groups, bulk jobs) and the ICCID check of every `{iccid}` path. */
@Module({
  imports: [SimFleetModule, SimsModule],
  controllers: [SimOrganisationController, GroupsController, JobsController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: SimRefInterceptor }],
})
export class SimFleetApiModule {}
