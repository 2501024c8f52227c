import { Module } from '@nestjs/common';
import { SessionRater } from '../telemetry/session-rater.js';
import { BillingSessionRater } from './billing-session-rater.js';
import { InvoicingService } from './invoicing.service.js';
import { PricePlansService } from './price-plans.service.js';
import { UsageEventsService } from './usage-events.service.js';

const providers = [PricePlansService, UsageEventsService, InvoicingService, { provide: SessionRater, useClass: BillingSessionRater }];

/** Price plans, usage events, invoices, and the rating of data sessions as they arrive (docs/billing.md). */
@Module({ providers, exports: [PricePlansService, UsageEventsService, InvoicingService, SessionRater] })
export class BillingModule {}
