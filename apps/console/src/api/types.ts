// The shapes of the /v1 answers the console reads (the OpenAPI document at /openapi.json is the reference).
export type SimStatus = 'inventory' | 'active' | 'suspended' | 'terminated';
export type SimAction = 'activate' | 'suspend' | 'resume' | 'terminate';

export interface Fix {
  at: string;
  lat: number;
  lon: number;
  accuracyM: number | null;
  source: string | null;
}

export interface Sim {
  iccid: string;
  imsi: string;
  msisdn: string | null;
  eid: string | null;
  formFactor: string | null;
  name: string | null;
  status: SimStatus;
  blocks: string[];
  allowedActions: SimAction[];
  tags: Record<string, string>;
  groupId: string | null;
  labels: string[];
  endUserDevice: { declared: boolean; declaredBy: string | null; declaredAt: string | null };
  authorizedImeis: string[];
  hasCredentials: boolean;
  firstActivatedAt: string | null;
  lastSeenAt: string | null;
  network: string | null;
  country: string | null;
  rat: string | null;
  imei: string | null;
  signalDbm: number | null;
  firmware: string | null;
  lastLocation: Fix | null;
  createdAt: string;
  updatedAt: string;
  deviceSecret?: string;
  policy?: {
    monthlyDataLimitBytes: { value: number | null; source: string; groupId: string | null };
    allowedCountries: { value: string[] | null; source: string; groupId: string | null };
  };
}

export interface Summary {
  total: number;
  byStatus: Array<{ status: SimStatus; count: number }>;
  byGroup: Array<{ groupId: string | null; groupName: string | null; count: number }>;
  byCountry: Array<{ country: string | null; count: number }>;
  byNetwork: Array<{ network: string | null; count: number }>;
}

export interface DataTotals {
  from: string;
  to: string;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sessions: number;
}

export interface Overview {
  at: string;
  onlineSims: number;
  openAlerts: Array<{ type: string; severity: string; count: number }>;
  data: { thisMonth: DataTotals; lastMonthSamePeriod: DataTotals; lastMonth: DataTotals };
  spend: { invoiceId: string; period: string; status: string; total: string; currency: string; generatedAt: string } | null;
}

export interface Cluster {
  lat: number;
  lon: number;
  count: number;
  iccid: string | null;
  name: string | null;
  status: SimStatus | null;
}

export interface Position {
  iccid: string;
  name: string | null;
  status: SimStatus;
  lat: number;
  lon: number;
  accuracyM: number | null;
  at: string;
}

export interface Job {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  action: SimAction;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  failures?: Array<{ iccid: string; reason: string }>;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  monthlyDataLimitBytes: number | null;
  allowedCountries: string[] | null;
}

export interface Session {
  sessionId: string;
  startedAt: string;
  endedAt: string | null;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  mcc: string;
  mnc: string;
  network: string | null;
  country: string | null;
  rat: string;
}

export interface Diagnostics {
  iccid: string;
  status: string;
  blocks: string[];
  connection: { state: 'online' | 'offline' | 'blocked'; since: string | null; source: string };
  lastSeenAt: string | null;
  openSession: Session | null;
  lastSession: Session | null;
  network: { mcc: string; mnc: string; name: string | null; country: string | null } | null;
  rat: string | null;
  signalDbm: number | null;
  firmware: string | null;
  imei: string | null;
  imeiCheck: 'match' | 'mismatch' | 'unrestricted' | 'unknown';
  authorizedImeis: string[];
  recentErrors: Array<{ at: string; topic: string; code: string; message: string }>;
  lastLocation: Fix | null;
}

export interface HistoryEntry {
  id: number;
  from: SimStatus | null;
  to: SimStatus;
  action: string;
  actor: string;
  reason: string | null;
  blocks: string[];
  at: string;
}

export interface Sms {
  id: string;
  iccid: string;
  kind: 'sms' | 'wake-up';
  text: string;
  encoding: string;
  segments: number;
  status: string;
  statusReason: string | null;
  createdAt: string;
}

export interface UsageBucket {
  start: string;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sessions: number;
}

export interface Network {
  key: string;
  mcc: string;
  mnc: string;
  name: string | null;
  country: string | null;
  sessions: number;
  bytesUp: number;
  bytesDown: number;
  bytesTotal: number;
  sims: number;
  rats: Array<{ rat: string; sessions: number; bytesTotal: number; sims: number }>;
}

export interface Alert {
  id: string;
  ruleId: string;
  type: string;
  iccid: string;
  severity: 'info' | 'warning' | 'critical';
  status: 'active' | 'acknowledged' | 'resolved';
  count: number;
  level: number;
  details: Record<string, unknown>;
  block: string | null;
  firstTriggeredAt: string;
  lastTriggeredAt: string;
  acknowledgedBy: string | null;
  resolution: string | null;
}

export interface AlertRule {
  id: string;
  name: string | null;
  type: string;
  scope: Record<string, string>;
  severity: string;
  action: string;
  enabled: boolean;
  params: Record<string, unknown>;
  createdAt: string;
}

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  secret?: string;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  attempts: Array<{ attempt: number; attemptedAt: string; url: string; statusCode: number | null; latencyMs: number; error: string | null }>;
}

export interface InvoiceLine {
  product: string;
  channel?: string;
  description: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  adjusts?: string;
}

export interface Invoice {
  id: string;
  accountId: string;
  status: 'draft' | 'finalized';
  currency: string;
  period: { id: string; start?: string; end?: string };
  lines: InvoiceLine[];
  subtotals: Array<{ product: string; amount: string }>;
  total: string;
  generatedAt: string;
  finalizedAt: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt?: string | null;
  key?: string;
}

export interface SupportCase {
  id: string;
  subject: string;
  description: string;
  severity: string;
  status: string;
  iccids: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Order {
  id: string;
  accountId: string;
  quantity: number;
  formFactor: string;
  status: string;
  statusReason: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  createdAt: string;
}

export interface Account {
  id: string;
  name: string;
  createdAt: string;
}

export interface DeadLetter {
  id: string;
  queue: string;
  jobName: string;
  jobId: string | null;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: string;
}

export type UserRole = 'owner' | 'admin' | 'operator' | 'viewer';
export const USER_ROLES: readonly UserRole[] = ['owner', 'admin', 'operator', 'viewer'];

export interface User {
  id: string;
  accountId: string | null;
  email: string;
  name: string | null;
  role: UserRole;
  status: 'invited' | 'active' | 'disabled';
  mfaEnabled: boolean;
  lastSignInAt: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A one-time link (invite or password reset): shown once. */
export interface OneTimeLink {
  token: string;
  url: string;
  expiresAt: string;
  emailSent: boolean;
  emailError?: string;
}

export interface AuditEntry {
  id: string;
  accountId: string | null;
  at: string;
  actor: string;
  actorName: string | null;
  platformActor: boolean;
  action: string;
  resource: string;
  outcome: 'success' | 'denied' | 'failure';
  status: number | null;
  requestId: string | null;
  via: string | null;
  address: string | null;
}
