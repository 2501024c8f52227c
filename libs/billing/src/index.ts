/**
 * @simfleet billing: pure rating of price plans over billable events (no I/O, no clock reads).
 * Money is decimal.js throughout; each invoice line is rounded once.
 */
export { D, currencyMinorUnit, roundMoney, type Rounding, type RoundingMode } from './decimal.js';
export { monthPeriod, isoInZone, parseInstant, fixedClock, type Clock, type Period } from './time.js';
export { tierBands, tieredAmount, type Tier, type TieredPrice, type TierBand } from './tiers.js';
export { billableSeconds } from './increments.js';
export { PrefixTable, MCC_COUNTRIES, networkCountry } from './destinations.js';
export { maxConcurrent, startedPeriodsIn, type Interval } from './intervals.js';
export {
  validatePlan,
  assertPlan,
  checkTiers,
  pricePlanSchema,
  PlanValidationError,
  type PricePlan,
  type PlanProblem,
  type PlanValidation,
  type Price,
  type Rate,
  type DestinationPrice,
  type PackagePrice,
  type ThingsPricing,
  type DataPricing,
  type Increments,
  type NumberKind,
  type WhatsAppCategory,
  type ActiveUserChannel,
  type SignalsChannel,
} from './plan.js';
export {
  parseEvent,
  EVENT_SCHEMAS,
  CHANNELS,
  EventValidationError,
  type BillableEvent,
  type EventOf,
  type EventKey,
  type Channel,
  type EventProblem,
  type EventParse,
  type ParsedEvent,
  type RejectedEvent,
} from './events.js';
export { whatsappConversations, viberSessions, viberBotBillable, answersSessions, type Timed } from './windows.js';
export {
  rateDataSession,
  roundUpBytes,
  ZoneResolver,
  DataUsageAccumulator,
  RatingError,
  DEFAULT_INCREMENT_BYTES,
  DEFAULT_UNIT_BYTES,
  type RatedDataSession,
  type ThingsInput,
  type SimRecord,
  type SimStatusChange,
  type SimActiveInterval,
  type DataSessionRow,
  type SmsMtRow,
} from './things.js';
export { PRODUCTS, type Product, type Unrated } from './lines.js';
export { rateInvoice, InvoiceBuilder, type Invoice, type InvoiceLine, type RateInvoiceInput } from './invoice.js';
export { DEFAULT_PLAN } from './plans/default-plan.js';
