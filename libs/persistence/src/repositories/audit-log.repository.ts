import { Inject, Injectable } from '@nestjs/common';
import type { AuditEntry, AuditOutcome, NewAuditEntry } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface AuditRow {
  id: number;
  account_id: string | null;
  actor: string;
  actor_name: string | null;
  platform_actor: boolean;
  action: string;
  resource: string;
  outcome: AuditOutcome;
  status: number | null;
  request_id: string | null;
  via: string | null;
  address: string | null;
  at: Date;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  id: String(r.id),
  accountId: r.account_id,
  actor: r.actor,
  actorName: r.actor_name,
  platformActor: r.platform_actor,
  action: r.action,
  resource: r.resource,
  outcome: r.outcome,
  status: r.status,
  requestId: r.request_id,
  via: r.via,
  address: r.address,
  at: r.at,
});

/** Which part of the log a reader may see: one account's, or the platform's own (its actors' entries and account-less ones). */
export type AuditScope = { kind: 'account'; accountId: string } | { kind: 'platform' };

export interface AuditFilter {
  actor?: string;
  /** A resource path, or a prefix of one ending with `/` or `*`. */
  resource?: string;
  /** An action, or a prefix of one ending with `.` or `*`. */
  action?: string;
  from?: Date;
  to?: Date;
}

/** Column, SQL type, value: one array parameter per column, so that a whole batch is one insert. */
const FIELDS: ReadonlyArray<[string, string, (entry: NewAuditEntry) => unknown]> = [
  ['account_id', 'text', (e) => e.accountId],
  ['actor', 'text', (e) => e.actor],
  ['actor_name', 'text', (e) => e.actorName],
  ['platform_actor', 'boolean', (e) => e.platformActor],
  ['action', 'text', (e) => e.action],
  ['resource', 'text', (e) => e.resource],
  ['outcome', 'text', (e) => e.outcome],
  ['status', 'int', (e) => e.status],
  ['request_id', 'text', (e) => e.requestId],
  ['via', 'text', (e) => e.via],
  ['address', 'text', (e) => e.address],
  ['at', 'timestamptz', (e) => e.at],
];
const INSERT = `insert into audit_log (${FIELDS.map(([column]) => column).join(', ')})
  select * from unnest(${FIELDS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

const likePrefix = (value: string): string => `${value.replace(/\*$/, '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const isPrefix = (value: string, separator: string) => value.endsWith('*') || value.endsWith(separator);

/**
 * The audit log: insert and read, nothing else (a trigger refuses updates and deletes, but for the
 * retention purge below).
 */
@Injectable()
export class AuditLogRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async append(entries: readonly NewAuditEntry[], tx: SqlExecutor = this.db): Promise<void> {
    if (!entries.length) return;
    await tx.query(
      INSERT,
      FIELDS.map(([, , value]) => entries.map(value)),
    );
  }

  /** Newest first; `before` is the id of the last entry already seen (keyset). */
  async list(scope: AuditScope, filter: AuditFilter, limit: number, before?: number): Promise<AuditEntry[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (scope.kind === 'account') where.push(`account_id = ${param(scope.accountId)}`);
    else where.push('(account_id is null or platform_actor)');
    if (filter.actor) where.push(`actor = ${param(filter.actor)}`);
    if (filter.resource) {
      where.push(isPrefix(filter.resource, '/') ? `resource like ${param(likePrefix(filter.resource))}` : `resource = ${param(filter.resource)}`);
    }
    if (filter.action) {
      where.push(isPrefix(filter.action, '.') ? `action like ${param(likePrefix(filter.action))}` : `action = ${param(filter.action)}`);
    }
    if (filter.from) where.push(`at >= ${param(filter.from)}`);
    if (filter.to) where.push(`at < ${param(filter.to)}`);
    if (before !== undefined) where.push(`id < ${param(before)}`);
    const rows = await this.db.query<AuditRow>(`select * from audit_log where ${where.join(' and ')} order by id desc limit ${param(limit)}`, params);
    return rows.map(toEntry);
  }

  /** Retention: removes entries older than `before`, the only way rows ever leave the log. */
  async purgeOlderThan(before: Date): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query("select set_config('simfleet.audit_purge', 'on', true)");
      const rows = await tx.query('delete from audit_log where at < $1 returning id', [before]);
      return rows.length;
    });
  }
}
