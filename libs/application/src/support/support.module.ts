import { Module } from '@nestjs/common';
import { SupportService } from './support.service.js';

/** Dedicated support cases (docs/support.md). */
@Module({ providers: [SupportService], exports: [SupportService] })
export class SupportModule {}
