// Every repository of the system of record, registered once (PersistenceModule provides and exports them
// all, as immich's server does): a new repository is added here, nowhere else.
import { AccountRepository, ApiKeyRepository } from './account.repository.js';
import { AuditLogRepository } from './audit-log.repository.js';
import { AlertEvaluationRepository } from './alert-evaluation.repository.js';
import { AlertRuleRepository } from './alert-rule.repository.js';
import { AlertRepository } from './alert.repository.js';
import { PricePlanRepository, UsageEventRepository, InvoiceRepository, BillingInputsRepository } from './billing.repository.js';
import { DeadLetterRepository } from './dead-letter.repository.js';
import { EventRepository } from './event.repository.js';
import { GroupRepository } from './group.repository.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { JobRepository } from './job.repository.js';
import { OrderRepository } from './order.repository.js';
import { SimBlocksRepository } from './sim-blocks.repository.js';
import { SimConnectionRepository } from './sim-connection.repository.js';
import { SimFleetRepository } from './sim-fleet.repository.js';
import { SimRepository } from './sim.repository.js';
import { SmsRepository } from './sms.repository.js';
import { SupportCaseRepository } from './support-case.repository.js';
import { TelemetryQueriesRepository } from './telemetry-queries.repository.js';
import { UsageLedgerRepository } from './usage-ledger.repository.js';
import { UserRepository } from './user.repository.js';
import { WebhookRepository } from './webhook.repository.js';

export const REPOSITORIES = [
  AccountRepository,
  ApiKeyRepository,
  AuditLogRepository,
  AlertEvaluationRepository,
  AlertRuleRepository,
  AlertRepository,
  PricePlanRepository,
  UsageEventRepository,
  InvoiceRepository,
  BillingInputsRepository,
  DeadLetterRepository,
  EventRepository,
  GroupRepository,
  IdempotencyRepository,
  JobRepository,
  OrderRepository,
  SimBlocksRepository,
  SimConnectionRepository,
  SimFleetRepository,
  SimRepository,
  SmsRepository,
  SupportCaseRepository,
  TelemetryQueriesRepository,
  UsageLedgerRepository,
  UserRepository,
  WebhookRepository,
];
