import { Global, Module } from '@nestjs/common';
import { SupportCaseRepository } from '@simfleet/persistence';
import { SupportService } from './support.service.js';

/** Dedicated support cases (docs/support.md). */
@Global()
@Module({ providers: [SupportCaseRepository, SupportService], exports: [SupportCaseRepository, SupportService] })
export class SupportModule {}
