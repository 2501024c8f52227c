import { Module } from '@nestjs/common';
import { AlertRulesController, AlertsController } from './alerts.controllers.js';

/** /v1/alert-rules and /v1/alerts (docs/alerts.md). */
@Module({ controllers: [AlertRulesController, AlertsController] })
export class AlertsApiModule {}
