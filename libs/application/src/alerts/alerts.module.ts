import { Module } from '@nestjs/common';
import { SimsModule } from '../sims/sims.module.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { AlertRuleCache } from './alert-rule-cache.js';
import { AlertRulesService } from './alert-rules.service.js';
import { AlertScanner } from './alert-scanner.js';
import { AlertWriter } from './alert-writer.js';
import { AlertsService } from './alerts.service.js';

const providers = [AlertRuleCache, AlertWriter, AlertEvaluator, AlertScanner, AlertRulesService, AlertsService];

/** Alert rules, alerts and their effects on SIMs (blocks, which cut connected devices) (docs/alerts.md). */
@Module({ imports: [SimsModule], providers, exports: providers })
export class AlertsModule {}
