import { Global, Module } from '@nestjs/common';
import { AlertEvaluationRepository, AlertRuleRepository, AlertRepository, SimBlocksRepository } from '@simfleet/persistence';
import { DeviceControlModule } from '../device-control/device-control.module.js';
import { SimBlocksService } from '../sims/sim-blocks.service.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { AlertRuleCache } from './alert-rule-cache.js';
import { AlertRulesService } from './alert-rules.service.js';
import { AlertScanner } from './alert-scanner.js';
import { AlertWriter } from './alert-writer.js';
import { AlertsService } from './alerts.service.js';

const providers = [
  AlertRuleRepository,
  AlertRepository,
  AlertEvaluationRepository,
  SimBlocksRepository,
  SimBlocksService,
  AlertRuleCache,
  AlertWriter,
  AlertEvaluator,
  AlertScanner,
  AlertRulesService,
  AlertsService,
];

/** Alert rules, alerts and SIM blocks (docs/alerts.md). Global: ingestion, the API and the worker use it. */
@Global()
@Module({ imports: [DeviceControlModule], providers, exports: providers })
export class AlertsModule {}
