import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { Principal } from '@simfleet/auth';
import { actorOf } from '@simfleet/auth';
import { Clock, decodeCursor, encodeCursor, DomainError, type AuditEntry, type NewAuditEntry, type Page } from '@simfleet/domain';
import { AuditLogRepository, type AuditFilter, type AuditScope, type SqlExecutor } from '@simfleet/persistence';

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  requestId: string | null;
  address: string | null;
}

/** The audit fields that say who acted, from a principal. */
export function auditActor(principal: Principal | undefined): Pick<NewAuditEntry, 'actor' | 'actorName' | 'platformActor'> {
  if (!principal) return { actor: 'anonymous', actorName: null, platformActor: false };
  return { actor: actorOf(principal), actorName: principal.actor.name ?? null, platformActor: principal.kind === 'admin' };
}

/**
 * Appends to the audit log and reads it. Appending never fails the caller's change (which is already
 * done): a failed append is logged as an error with the entry, so that it can be restored.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('AuditLog');

  constructor(
    @Inject(AuditLogRepository) private readonly log: AuditLogRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async record(entries: NewAuditEntry | readonly NewAuditEntry[], tx?: SqlExecutor): Promise<void> {
    const list = Array.isArray(entries) ? (entries as readonly NewAuditEntry[]) : [entries as NewAuditEntry];
    if (tx) return this.log.append(list, tx);
    try {
      await this.log.append(list);
    } catch (error) {
      this.logger.error({ err: error, entries: list }, `could not append ${list.length} audit entr${list.length === 1 ? 'y' : 'ies'}`);
    }
  }

  /** An entry at the current instant. */
  entry(fields: Omit<NewAuditEntry, 'at' | 'via'> & { via?: string | null }): NewAuditEntry {
    return { ...fields, via: fields.via ?? null, at: this.clock.now() };
  }

  async list(scope: AuditScope, filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEntry>> {
    let before: number | undefined;
    if (cursor) {
      before = Number(decodeCursor(cursor));
      if (!Number.isSafeInteger(before))
        throw DomainError.validation('cursor is not a cursor this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
    }
    const rows = await this.log.list(scope, filter, limit + 1, before);
    const data = rows.slice(0, limit);
    return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  /** Retention: entries older than `retentionMs` leave the log. */
  async purge(retentionMs: number): Promise<number> {
    return this.log.purgeOlderThan(new Date(this.clock.now().getTime() - retentionMs));
  }
}

/** The audit log, for whoever appends to it or reads it (not global: import it). */
@Module({ providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}

const CSV_COLUMNS = [
  'id',
  'at',
  'accountId',
  'actor',
  'actorName',
  'platformActor',
  'action',
  'resource',
  'outcome',
  'status',
  'requestId',
  'via',
  'address',
] as const;

/**
 * RFC 4180 quoting, and no spreadsheet formulas: a field starting with `=`, `+`, `-`, `@`, tab or CR (an
 * e-mail or a name typed by anyone) is prefixed with `'` (OWASP CSV injection).
 */
const auditCsvField = (value: unknown): string => {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Audit entries as CSV: a header row, then one CRLF-terminated line per entry. */
export function auditLogCsv(entries: readonly AuditEntry[]): string {
  return [CSV_COLUMNS.join(','), ...entries.map((e) => CSV_COLUMNS.map((c) => auditCsvField(e[c])).join(','))].map((line) => `${line}\r\n`).join('');
}
