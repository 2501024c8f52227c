import { Module } from '@nestjs/common';
import { DeadLettersService } from './dead-letters.service.js';

/** The platform operator's tools: dead letters and their replay. */
@Module({ providers: [DeadLettersService], exports: [DeadLettersService] })
export class OperationsModule {}
