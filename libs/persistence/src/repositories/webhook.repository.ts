import { Inject, Injectable } from '@nestjs/common';
import type { DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookDisabledReason, WebhookEndpoint } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';
import { SecretBox } from '../secrets/secret-box.js';
import { toRecordedEvent, webhookRegistrationLockKey, type EventRow, type RecordedEvent } from './event.repository.js';

interface EndpointRow {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabled_reason: WebhookDisabledReason | null;
  disabled_at: Date | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  account_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  retry_index: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  attempted_at: Date;
  url: string;
  status_code: number | null;
  response_excerpt: string | null;
  latency_ms: number;
  error: string | null;
}

/** Signing secrets are sealed at rest (SecretBox), each bound to its endpoint and column. */
const secretContext = (id: string, column: 'secret' | 'previous_secret') => `webhook_endpoints:${id}:${column}`;

const toEndpoint = (box: SecretBox, r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  accountId: r.account_id,
  url: r.url,
  description: r.description,
  events: r.events,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  secret: openSecret(box, r.id, 'secret', r.secret),
  previousSecret: r.previous_secret === null ? null : openSecret(box, r.id, 'previous_secret', r.previous_secret),
  previousSecretExpiresAt: r.previous_secret_expires_at,
  failingSince: r.failing_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

// A value stored before secrets were sealed is still clear text until the startup pass (resealSecrets) seals it.
const openSecret = (box: SecretBox, id: string, column: 'secret' | 'previous_secret', stored: string) =>
  SecretBox.isSealed(stored) ? box.open(stored, secretContext(id, column)) : stored;

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  accountId: r.account_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attemptCount: r.attempt_count,
  retryIndex: r.retry_index,
  nextAttemptAt: r.next_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toAttempt = (r: AttemptRow): DeliveryAttempt => ({
  attempt: r.attempt,
  attemptedAt: r.attempted_at,
  url: r.url,
  statusCode: r.status_code,
  responseExcerpt: r.response_excerpt,
  latencyMs: r.latency_ms,
  error: r.error,
});

export type { RecordedEvent };
export type UndispatchedEvent = Pick<RecordedEvent, 'id' | 'type' | 'accountId' | 'recordedAt'>;

const toEvent = toRecordedEvent;

const DELIVERY_SELECT = `select d.*, ev.type as event_type from webhook_deliveries d join events ev on ev.id = d.event_id`;

export interface NewDelivery {
  id: string;
  endpointId: string;
  accountId: string;
  eventId: string;
  retryIndex: number;
  nextAttemptAt: Date;
}

/** Webhook endpoints, their deliveries and attempts, and the outbox's dispatch marker. */
@Injectable()
export class WebhookRepository {
  private readonly toEndpoint: (row: EndpointRow) => WebhookEndpoint;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {
    this.toEndpoint = (row) => toEndpoint(box, row);
  }

  private seal(id: string, column: 'secret' | 'previous_secret', secret: string | null): string | null {
    return secret === null ? null : this.box.seal(secret, secretContext(id, column));
  }

  /**
   * Seals again every secret stored in clear (before sealing existed) or with a previous SECRETS_KEY, with
   * the current key: run at startup, so a rotation completes once every process runs with the new key.
   * Each row changes only if nobody changed it meanwhile. Returns how many rows were sealed again.
   */
  async resealSecrets(): Promise<number> {
    const rows = await this.db.query<Pick<EndpointRow, 'id' | 'secret' | 'previous_secret'>>(
      'select id, secret, previous_secret from webhook_endpoints',
    );
    let resealed = 0;
    for (const row of rows) {
      if (!this.box.isStale(row.secret) && (row.previous_secret === null || !this.box.isStale(row.previous_secret))) continue;
      const secret = openSecret(this.box, row.id, 'secret', row.secret);
      const previous = row.previous_secret === null ? null : openSecret(this.box, row.id, 'previous_secret', row.previous_secret);
      const updated = await this.db.query(
        'update webhook_endpoints set secret = $2, previous_secret = $3 where id = $1 and secret = $4 and previous_secret is not distinct from $5 returning id',
        [row.id, this.seal(row.id, 'secret', secret), this.seal(row.id, 'previous_secret', previous), row.secret, row.previous_secret],
      );
      resealed += updated.length;
    }
    return resealed;
  }

  /**
   * Waits until no transaction is appending events of the account, and keeps appends out until this one
   * ends: taken before an endpoint starts receiving (created or re-enabled), before its time is read.
   */
  async lockRegistrations(tx: SqlExecutor, accountId: string): Promise<void> {
    await tx.query(`select pg_advisory_xact_lock(${webhookRegistrationLockKey('$1::text')})`, [accountId]);
  }

  async insertEndpoint(tx: SqlExecutor, e: WebhookEndpoint): Promise<void> {
    await tx.query(
      `insert into webhook_endpoints (id, account_id, url, description, events, enabled, disabled_reason, disabled_at, secret, previous_secret,
         previous_secret_expires_at, failing_since, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        e.id,
        e.accountId,
        e.url,
        e.description,
        e.events,
        e.enabled,
        e.disabledReason,
        e.disabledAt,
        this.seal(e.id, 'secret', e.secret),
        this.seal(e.id, 'previous_secret', e.previousSecret),
        e.previousSecretExpiresAt,
        e.failingSince,
        e.createdAt,
        e.updatedAt,
      ],
    );
  }

  async updateEndpoint(tx: SqlExecutor, e: WebhookEndpoint): Promise<WebhookEndpoint> {
    const [row] = await tx.query<EndpointRow>(
      `update webhook_endpoints set url = $2, description = $3, events = $4, enabled = $5, disabled_reason = $6, disabled_at = $7, secret = $8,
         previous_secret = $9, previous_secret_expires_at = $10, failing_since = $11, updated_at = $12
       where id = $1 returning *`,
      [
        e.id,
        e.url,
        e.description,
        e.events,
        e.enabled,
        e.disabledReason,
        e.disabledAt,
        this.seal(e.id, 'secret', e.secret),
        this.seal(e.id, 'previous_secret', e.previousSecret),
        e.previousSecretExpiresAt,
        e.failingSince,
        e.updatedAt,
      ],
    );
    return this.toEndpoint(row);
  }

  async findEndpoint(accountId: string, id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<WebhookEndpoint | null> {
    const [row] = await tx.query<EndpointRow>(`select * from webhook_endpoints where id = $1 and account_id = $2${forUpdate ? ' for update' : ''}`, [
      id,
      accountId,
    ]);
    return row ? this.toEndpoint(row) : null;
  }

  async findEndpointById(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<WebhookEndpoint | null> {
    const [row] = await tx.query<EndpointRow>(`select * from webhook_endpoints where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row ? this.toEndpoint(row) : null;
  }

  async listEndpoints(accountId: string, limit: number, after?: string): Promise<WebhookEndpoint[]> {
    const rows = await this.db.query<EndpointRow>(
      'select * from webhook_endpoints where account_id = $1 and ($2::text is null or id > $2) order by id limit $3',
      [accountId, after ?? null, limit],
    );
    return rows.map(this.toEndpoint);
  }

  async deleteEndpoint(tx: SqlExecutor, accountId: string, id: string): Promise<boolean> {
    const rows = await tx.query('delete from webhook_endpoints where id = $1 and account_id = $2 returning id', [id, accountId]);
    return rows.length > 0;
  }

  /** Events not yet dispatched, oldest id first, locked so that another worker takes the next ones. */
  /** What fan-out needs of an event, not its data: telemetry emits events by the thousand per second. */
  async claimUndispatchedEvents(tx: SqlExecutor, limit: number): Promise<UndispatchedEvent[]> {
    const rows = await tx.query<{ id: string; type: string; account_id: string | null; recorded_at: Date }>(
      'select id, type, account_id, recorded_at from events where dispatched_at is null order by id limit $1 for update skip locked',
      [limit],
    );
    return rows.map((r) => ({ id: r.id, type: r.type as UndispatchedEvent['type'], accountId: r.account_id, recordedAt: r.recorded_at }));
  }

  async markDispatched(tx: SqlExecutor, eventIds: string[], at: Date): Promise<void> {
    if (!eventIds.length) return;
    await tx.query('update events set dispatched_at = $2 where id = any($1::text[])', [eventIds, at]);
  }

  async enabledEndpointsOf(tx: SqlExecutor, accountIds: string[]): Promise<WebhookEndpoint[]> {
    if (!accountIds.length) return [];
    const rows = await tx.query<EndpointRow>('select * from webhook_endpoints where enabled and account_id = any($1::text[])', [accountIds]);
    return rows.map(this.toEndpoint);
  }

  async insertDeliveries(tx: SqlExecutor, deliveries: NewDelivery[], at: Date): Promise<void> {
    if (!deliveries.length) return;
    await tx.query(
      `insert into webhook_deliveries (id, endpoint_id, account_id, event_id, status, retry_index, next_attempt_at, created_at, updated_at)
       select d.id, d.endpoint_id, d.account_id, d.event_id, 'pending', d.retry_index, d.next_attempt_at, $7, $7
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) as d(id, endpoint_id, account_id, event_id, retry_index, next_attempt_at)
       on conflict (endpoint_id, event_id) do nothing`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.endpointId),
        deliveries.map((d) => d.accountId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.retryIndex),
        deliveries.map((d) => d.nextAttemptAt.toISOString()),
        at,
      ],
    );
  }

  /**
   * Due deliveries of enabled endpoints, leased until `leaseUntil` so that no other worker sends them
   * meanwhile; an expired lease (a worker died mid-attempt) makes the delivery due again.
   */
  async leaseDueDeliveries(tx: SqlExecutor, now: Date, leaseUntil: Date, limit: number): Promise<Array<{ id: string; attemptCount: number }>> {
    const rows = await tx.query<{ id: string; attempt_count: number }>(
      `update webhook_deliveries set lease_until = $2
        where id in (
          select d.id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
           where d.status = 'pending' and d.next_attempt_at <= $1 and (d.lease_until is null or d.lease_until < $1) and e.enabled
           order by d.next_attempt_at limit $3
           for update of d skip locked)
        returning id, attempt_count`,
      [now, leaseUntil, limit],
    );
    return rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count }));
  }

  async findDelivery(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<WebhookDelivery | null> {
    const [row] = await tx.query<DeliveryRow>(`${DELIVERY_SELECT} where d.id = $1${forUpdate ? ' for update of d' : ''}`, [id]);
    return row ? toDelivery(row) : null;
  }

  async findEvent(id: string, tx: SqlExecutor = this.db): Promise<RecordedEvent | null> {
    const [row] = await tx.query<EventRow>('select * from events where id = $1', [id]);
    return row ? toEvent(row) : null;
  }

  async recordAttempt(tx: SqlExecutor, deliveryId: string, attempt: DeliveryAttempt): Promise<void> {
    await tx.query(
      `insert into webhook_delivery_attempts (delivery_id, attempt, attempted_at, url, status_code, response_excerpt, latency_ms, error)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [deliveryId, attempt.attempt, attempt.attemptedAt, attempt.url, attempt.statusCode, attempt.responseExcerpt, attempt.latencyMs, attempt.error],
    );
  }

  async updateDelivery(
    tx: SqlExecutor,
    id: string,
    change: {
      status: DeliveryStatus;
      attemptCount: number;
      retryIndex: number;
      nextAttemptAt: Date | null;
      lastStatusCode: number | null;
      lastError: string | null;
      at: Date;
    },
  ): Promise<void> {
    await tx.query(
      `update webhook_deliveries set status = $2, attempt_count = $3, retry_index = $4, next_attempt_at = $5, last_status_code = $6, last_error = $7,
         lease_until = null, updated_at = $8 where id = $1`,
      [id, change.status, change.attemptCount, change.retryIndex, change.nextAttemptAt, change.lastStatusCode, change.lastError, change.at],
    );
  }

  async listDeliveries(
    endpointId: string,
    filter: { status?: DeliveryStatus; after?: string; limit: number },
  ): Promise<Array<WebhookDelivery & { attempts: DeliveryAttempt[] }>> {
    const rows = await this.db.query<DeliveryRow>(
      `${DELIVERY_SELECT} where d.endpoint_id = $1 and ($2::text is null or d.status = $2) and ($3::text is null or d.id < $3) order by d.id desc limit $4`,
      [endpointId, filter.status ?? null, filter.after ?? null, filter.limit],
    );
    if (!rows.length) return [];
    const attempts = await this.db.query<AttemptRow>(
      'select * from webhook_delivery_attempts where delivery_id = any($1::text[]) order by delivery_id, attempt',
      [rows.map((r) => r.id)],
    );
    const byDelivery = new Map<string, DeliveryAttempt[]>();
    for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), toAttempt(a)]);
    return rows.map((r) => ({ ...toDelivery(r), attempts: byDelivery.get(r.id) ?? [] }));
  }

  async attemptsOf(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.db.query<AttemptRow>('select * from webhook_delivery_attempts where delivery_id = $1 order by attempt', [deliveryId]);
    return rows.map(toAttempt);
  }
}
