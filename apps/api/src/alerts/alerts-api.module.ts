import { Module } from '@nestjs/common';
import { AlertsModule } from '@simfleet/application';
import { AlertRulesController, AlertsController } from './alerts.controllers.js';

/** /v1/alert-rules and /v1/alerts (docs/alerts.md). */
@Module({ imports: [AlertsModule], controllers: [AlertRulesController, AlertsController] })
export class AlertsApiModule {}
