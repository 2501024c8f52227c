import { Inject, Injectable } from '@nestjs/common';
import type { DataSession } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

export interface StoredPricePlan {
  id: string;
  name: string;
  plan: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface PlanAssignment {
  accountId: string;
  effectiveFrom: string;
  planId: string;
  actor: string;
  assignedAt: Date;
}

interface PlanRow {
  id: string;
  name: string;
  plan: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}
const toPlan = (r: PlanRow): StoredPricePlan => ({ id: r.id, name: r.name, plan: r.plan, createdAt: r.created_at, updatedAt: r.updated_at });

interface AssignmentRow {
  account_id: string;
  effective_from: string;
  plan_id: string;
  actor: string;
  assigned_at: Date;
}
const toAssignment = (r: AssignmentRow): PlanAssignment => ({
  accountId: r.account_id,
  effectiveFrom: r.effective_from,
  planId: r.plan_id,
  actor: r.actor,
  assignedAt: r.assigned_at,
});

/** Price plans and their assignments to accounts (small tables: read whole into the plan cache). */
@Injectable()
export class PricePlanRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async list(): Promise<StoredPricePlan[]> {
    return (await this.db.query<PlanRow>('select * from price_plans order by id')).map(toPlan);
  }

  async get(id: string): Promise<StoredPricePlan | null> {
    const [row] = await this.db.query<PlanRow>('select * from price_plans where id = $1', [id]);
    return row ? toPlan(row) : null;
  }

  async upsert(id: string, name: string, plan: unknown): Promise<StoredPricePlan> {
    const [row] = await this.db.query<PlanRow>(
      `insert into price_plans (id, name, plan) values ($1, $2, $3::jsonb)
       on conflict (id) do update set name = excluded.name, plan = excluded.plan, updated_at = now()
       returning *`,
      [id, name, JSON.stringify(plan)],
    );
    return toPlan(row);
  }

  /** Seeds a plan once (the shipped default): an admin's later edits are kept. */
  async insertIfAbsent(id: string, name: string, plan: unknown): Promise<void> {
    await this.db.query('insert into price_plans (id, name, plan) values ($1, $2, $3::jsonb) on conflict (id) do nothing', [
      id,
      name,
      JSON.stringify(plan),
    ]);
  }

  async allAssignments(): Promise<PlanAssignment[]> {
    return (await this.db.query<AssignmentRow>('select * from account_price_plans order by account_id, effective_from')).map(toAssignment);
  }

  async assignments(accountId: string): Promise<PlanAssignment[]> {
    return (await this.db.query<AssignmentRow>('select * from account_price_plans where account_id = $1 order by effective_from', [accountId])).map(
      toAssignment,
    );
  }

  /** Assigning again for the same month replaces that month's assignment. */
  async assign(accountId: string, effectiveFrom: string, planId: string, actor: string): Promise<PlanAssignment> {
    const [row] = await this.db.query<AssignmentRow>(
      `insert into account_price_plans (account_id, effective_from, plan_id, actor) values ($1, $2, $3, $4)
       on conflict (account_id, effective_from) do update set plan_id = excluded.plan_id, actor = excluded.actor, assigned_at = now()
       returning *`,
      [accountId, effectiveFrom, planId, actor],
    );
    return toAssignment(row);
  }
}

export interface NewUsageEvent {
  id: string;
  channel: string;
  type: string;
  at: string;
  event: unknown;
}

export interface StoredUsageEvent {
  id: string;
  seq: number;
  channel: string;
  type: string;
  at: Date;
  event: Record<string, unknown>;
  receivedAt: Date;
}

interface UsageEventRow {
  id: string;
  seq: number;
  channel: string;
  type: string;
  at: Date;
  event: Record<string, unknown>;
  received_at: Date;
}
const toUsageEvent = (r: UsageEventRow): StoredUsageEvent => ({
  id: r.id,
  seq: r.seq,
  channel: r.channel,
  type: r.type,
  at: r.at,
  event: r.event,
  receivedAt: r.received_at,
});

export interface UsageEventFilter {
  accountId: string;
  channel?: string;
  type?: string;
  from?: Date;
  to?: Date;
  afterSeq?: number;
  limit: number;
}

/** Usage events of the other channels, idempotent per (account, id). */
@Injectable()
export class UsageEventRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Stores the events whose id the account has not used yet and returns the ids stored. Claiming the id
   * and storing the event are one statement: there is no window in which an id is taken but its event lost.
   */
  /** `receivedAt` is the platform clock's: finalized invoices compare it with their own cut-off. */
  async insertNew(tx: SqlExecutor, accountId: string, events: NewUsageEvent[], receivedAt: Date): Promise<Set<string>> {
    if (!events.length) return new Set();
    const rows = await tx.query<{ id: string }>(
      `insert into usage_events (account_id, id, channel, type, at, event, received_at)
       select $1, t.id, t.channel, t.type, t.at, t.event, $7
         from unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[]) with ordinality as t(id, channel, type, at, event, n)
        order by t.n
       on conflict (account_id, id) do nothing
       returning id`,
      [
        accountId,
        events.map((e) => e.id),
        events.map((e) => e.channel),
        events.map((e) => e.type),
        events.map((e) => e.at),
        events.map((e) => JSON.stringify(e.event)),
        receivedAt,
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  async list(filter: UsageEventFilter): Promise<StoredUsageEvent[]> {
    const rows = await this.db.query<UsageEventRow>(
      `select id, seq, channel, type, at, event, received_at from usage_events
        where account_id = $1
          and ($2::text is null or channel = $2)
          and ($3::text is null or type = $3)
          and ($4::timestamptz is null or at >= $4)
          and ($5::timestamptz is null or at < $5)
          and ($6::bigint is null or seq > $6)
        order by seq limit $7`,
      [
        filter.accountId,
        filter.channel ?? null,
        filter.type ?? null,
        filter.from?.toISOString() ?? null,
        filter.to?.toISOString() ?? null,
        filter.afterSeq ?? null,
        filter.limit,
      ],
    );
    return rows.map(toUsageEvent);
  }

  /** Every event up to `before` (state events such as number provisioning may predate the period). */
  async upTo(accountId: string, before: Date): Promise<StoredUsageEvent[]> {
    const rows = await this.db.query<UsageEventRow>(
      'select id, seq, channel, type, at, event, received_at from usage_events where account_id = $1 and at < $2 order by seq',
      [accountId, before.toISOString()],
    );
    return rows.map(toUsageEvent);
  }

  async inRange(
    accountId: string,
    from: Date,
    to: Date,
    channels: readonly string[] | null,
    receivedAfter: Date | null,
    afterSeq: number | null,
    limit: number,
  ): Promise<StoredUsageEvent[]> {
    const rows = await this.db.query<UsageEventRow>(
      `select id, seq, channel, type, at, event, received_at from usage_events
        where account_id = $1 and at >= $2 and at < $3
          and ($4::text[] is null or channel = any($4::text[]))
          and ($5::timestamptz is null or received_at > $5)
          and ($6::bigint is null or seq > $6)
        order by seq limit $7`,
      [accountId, from.toISOString(), to.toISOString(), channels, receivedAfter?.toISOString() ?? null, afterSeq, limit],
    );
    return rows.map(toUsageEvent);
  }
}

export interface StoredInvoice {
  id: string;
  accountId: string;
  period: string;
  status: 'draft' | 'finalized';
  planId: string;
  currency: string;
  total: string;
  document: string;
  generatedAt: Date;
  finalizedAt: Date | null;
  createdAt: Date;
}

interface InvoiceRow {
  id: string;
  account_id: string;
  period: string;
  status: 'draft' | 'finalized';
  plan_id: string;
  currency: string;
  total: string;
  document: string;
  generated_at: Date;
  finalized_at: Date | null;
  created_at: Date;
}
const toInvoice = (r: InvoiceRow): StoredInvoice => ({
  id: r.id,
  accountId: r.account_id,
  period: r.period,
  status: r.status,
  planId: r.plan_id,
  currency: r.currency,
  total: r.total,
  document: r.document,
  generatedAt: r.generated_at,
  finalizedAt: r.finalized_at,
  createdAt: r.created_at,
});

export interface InvoiceDraft {
  id: string;
  accountId: string;
  period: string;
  planId: string;
  currency: string;
  total: string;
  document: string;
  generatedAt: Date;
}

/** Invoices: drafts are replaced by regeneration; a finalized invoice is never written again. */
@Injectable()
export class InvoiceRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async get(id: string): Promise<StoredInvoice | null> {
    const [row] = await this.db.query<InvoiceRow>('select * from invoices where id = $1', [id]);
    return row ? toInvoice(row) : null;
  }

  async findByPeriod(accountId: string, period: string): Promise<StoredInvoice | null> {
    const [row] = await this.db.query<InvoiceRow>('select * from invoices where account_id = $1 and period = $2', [accountId, period]);
    return row ? toInvoice(row) : null;
  }

  async forAccount(accountId: string): Promise<StoredInvoice[]> {
    return (await this.db.query<InvoiceRow>('select * from invoices where account_id = $1 order by period', [accountId])).map(toInvoice);
  }

  async list(filter: { accountId?: string; period?: string; status?: string; after?: string; limit: number }): Promise<StoredInvoice[]> {
    const rows = await this.db.query<InvoiceRow>(
      `select * from invoices
        where ($1::text is null or account_id = $1)
          and ($2::text is null or period = $2)
          and ($3::text is null or status = $3)
          and ($4::text is null or id > $4)
        order by id limit $5`,
      [filter.accountId ?? null, filter.period ?? null, filter.status ?? null, filter.after ?? null, filter.limit],
    );
    return rows.map(toInvoice);
  }

  /**
   * Writes a draft, replacing the period's previous draft (its id is kept). Returns null when the
   * period's invoice is already finalized: the `where` makes the refusal atomic.
   */
  async saveDraft(tx: SqlExecutor, draft: InvoiceDraft): Promise<StoredInvoice | null> {
    const [row] = await tx.query<InvoiceRow>(
      `insert into invoices (id, account_id, period, status, plan_id, currency, total, document, generated_at)
       values ($1, $2, $3, 'draft', $4, $5, $6, $7, $8)
       on conflict (account_id, period) do update set plan_id = excluded.plan_id, currency = excluded.currency, total = excluded.total,
         document = excluded.document, generated_at = excluded.generated_at
         where invoices.status = 'draft'
       returning *`,
      [draft.id, draft.accountId, draft.period, draft.planId, draft.currency, draft.total, draft.document, draft.generatedAt.toISOString()],
    );
    return row ? toInvoice(row) : null;
  }

  /** Freezes a draft with its final content; null when it was finalized meanwhile. */
  async finalize(tx: SqlExecutor, id: string, draft: InvoiceDraft, at: Date): Promise<StoredInvoice | null> {
    const [row] = await tx.query<InvoiceRow>(
      `update invoices set status = 'finalized', plan_id = $2, currency = $3, total = $4, document = $5, generated_at = $6, finalized_at = $7
        where id = $1 and status = 'draft'
       returning *`,
      [id, draft.planId, draft.currency, draft.total, draft.document, draft.generatedAt.toISOString(), at.toISOString()],
    );
    return row ? toInvoice(row) : null;
  }
}

export interface SimBillingRow {
  iccid: string;
  msisdn: string | null;
  allocatedAt: Date | null;
  firstActivatedAt: Date | null;
}
export interface LifecycleRow {
  iccid: string;
  status: string;
  at: Date;
}
/** What billing reads of a ledger session. */
export type LedgerBillingRow = Pick<DataSession, 'iccid' | 'sessionId' | 'startedAt' | 'bytesUp' | 'bytesDown' | 'mcc' | 'mnc'>;
export interface SmsBillingRow {
  id: string;
  iccid: string;
  msisdn: string | null;
  kind: string;
  segments: number;
  submittedAt: Date;
}

/** What THINGS billing reads from the platform: SIMs, their lifecycle, the usage ledger and SMS sent to SIMs. */
@Injectable()
export class BillingInputsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async accounts(): Promise<Array<{ id: string; createdAt: Date }>> {
    return (await this.db.query<{ id: string; created_at: Date }>('select id, created_at from accounts order by id')).map((r) => ({
      id: r.id,
      createdAt: r.created_at,
    }));
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (await this.db.query('select 1 from accounts where id = $1', [accountId])).length > 0;
  }

  async sims(accountId: string): Promise<SimBillingRow[]> {
    const rows = await this.db.query<{ iccid: string; msisdn: string | null; allocated_at: Date | null; first_activated_at: Date | null }>(
      'select iccid, msisdn, allocated_at, first_activated_at from sims where account_id = $1 order by iccid',
      [accountId],
    );
    return rows.map((r) => ({ iccid: r.iccid, msisdn: r.msisdn, allocatedAt: r.allocated_at, firstActivatedAt: r.first_activated_at }));
  }

  /** The whole lifecycle up to `before`, so the state at the period start is known. */
  async lifecycle(accountId: string, before: Date): Promise<LifecycleRow[]> {
    const rows = await this.db.query<{ iccid: string; to_status: string; at: Date }>(
      `select h.iccid, h.to_status, h.at from sim_history h join sims s on s.iccid = h.iccid
        where s.account_id = $1 and h.at < $2 order by h.iccid, h.at, h.id`,
      [accountId, before.toISOString()],
    );
    return rows.map((r) => ({ iccid: r.iccid, status: r.to_status, at: r.at }));
  }

  async ledger(accountId: string, from: Date, to: Date): Promise<LedgerBillingRow[]> {
    const rows = await this.db.query<{
      iccid: string;
      session_id: string;
      started_at: Date;
      bytes_up: number;
      bytes_down: number;
      mcc: string;
      mnc: string;
    }>(
      `select iccid, session_id, started_at, bytes_up, bytes_down, mcc, mnc from usage_ledger
        where account_id = $1 and started_at >= $2 and started_at < $3 order by iccid, session_id`,
      [accountId, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({
      iccid: r.iccid,
      sessionId: r.session_id,
      startedAt: r.started_at,
      bytesUp: r.bytes_up,
      bytesDown: r.bytes_down,
      mcc: r.mcc,
      mnc: r.mnc,
    }));
  }

  /** SMS MT and wake-up SMS submitted to the network in [from, to): each is billed per segment. */
  async smsMt(accountId: string, from: Date, to: Date): Promise<SmsBillingRow[]> {
    const rows = await this.db.query<{ id: string; iccid: string; msisdn: string | null; kind: string; segments: number; submitted_at: Date }>(
      `select m.id, m.iccid, s.msisdn, m.kind, m.segments, m.submitted_at from sms_messages m join sims s on s.iccid = m.iccid
        where m.account_id = $1 and m.submitted_at is not null and m.submitted_at >= $2 and m.submitted_at < $3 order by m.id`,
      [accountId, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({ id: r.id, iccid: r.iccid, msisdn: r.msisdn, kind: r.kind, segments: r.segments, submittedAt: r.submitted_at }));
  }

  /** Whether anything billable of [from, to) arrived or changed after `since` (a finalized invoice's cut-off). */
  async changedSince(accountId: string, from: Date, to: Date, since: Date): Promise<boolean> {
    const params = [accountId, from.toISOString(), to.toISOString(), since.toISOString()];
    const [row] = await this.db.query<{ changed: boolean }>(
      `select exists (select 1 from usage_events where account_id = $1 and at >= $2 and at < $3 and received_at > $4)
           or exists (select 1 from usage_ledger where account_id = $1 and started_at >= $2 and started_at < $3 and updated_at > $4)
           or exists (select 1 from sms_messages where account_id = $1 and submitted_at >= $2 and submitted_at < $3 and updated_at > $4)
           or exists (select 1 from sim_history h join sims s on s.iccid = h.iccid where s.account_id = $1 and h.at >= $2 and h.at < $3 and h.at > $4) as changed`,
      params,
    );
    return row.changed;
  }
}
