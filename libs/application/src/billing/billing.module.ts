import { Global, Module } from '@nestjs/common';
import { BillingInputsRepository, InvoiceRepository, PricePlanRepository, UsageEventRepository } from '@simfleet/persistence';
import { InvoicingService } from './invoicing.service.js';
import { PricePlansService } from './price-plans.service.js';
import { UsageEventsService } from './usage-events.service.js';

const providers = [
  PricePlanRepository,
  UsageEventRepository,
  InvoiceRepository,
  BillingInputsRepository,
  PricePlansService,
  UsageEventsService,
  InvoicingService,
];

/** Price plans, usage events and invoices (docs/billing.md, "Platform API"). */
@Global()
@Module({ providers, exports: providers })
export class BillingModule {}
