import { Inject, Injectable } from '@nestjs/common';
import type { SupportCase, SupportMessage, SupportSeverity, SupportStatus } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface CaseRow {
  id: string;
  account_id: string;
  subject: string;
  description: string;
  severity: SupportSeverity;
  status: SupportStatus;
  iccids: string[];
  opened_by: string;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
interface MessageRow {
  id: string;
  case_id: string;
  author: SupportMessage['author'];
  author_key_id: string;
  body: string;
  created_at: Date;
}

const toCase = (r: CaseRow): SupportCase => ({
  id: r.id,
  accountId: r.account_id,
  subject: r.subject,
  description: r.description,
  severity: r.severity,
  status: r.status,
  iccids: r.iccids,
  openedBy: r.opened_by,
  closedAt: r.closed_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toMessage = (r: MessageRow): SupportMessage => ({
  id: r.id,
  caseId: r.case_id,
  author: r.author,
  authorKeyId: r.author_key_id,
  body: r.body,
  createdAt: r.created_at,
});

export interface SupportCaseFilter {
  accountId?: string;
  status?: SupportStatus;
  severity?: SupportSeverity;
}

@Injectable()
export class SupportCaseRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, c: SupportCase): Promise<void> {
    await tx.query(
      `insert into support_cases (id, account_id, subject, description, severity, status, iccids, opened_by, closed_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
      [c.id, c.accountId, c.subject, c.description, c.severity, c.status, JSON.stringify(c.iccids), c.openedBy, c.closedAt, c.createdAt],
    );
  }

  async findById(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<SupportCase | null> {
    const [row] = await tx.query<CaseRow>(`select * from support_cases where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row ? toCase(row) : null;
  }

  async setStatus(tx: SqlExecutor, id: string, status: SupportStatus, at: Date): Promise<SupportCase> {
    const [row] = await tx.query<CaseRow>(
      `update support_cases set status = $2, updated_at = $3, closed_at = case when $2::text = 'closed' then $3::timestamptz else null end where id = $1 returning *`,
      [id, status, at],
    );
    return toCase(row);
  }

  /** Newest first. */
  async list(filter: SupportCaseFilter, limit: number, before?: string): Promise<SupportCase[]> {
    const rows = await this.db.query<CaseRow>(
      `select * from support_cases
       where ($1::text is null or account_id = $1) and ($2::text is null or status = $2) and ($3::text is null or severity = $3)
         and ($4::text is null or id < $4)
       order by id desc limit $5`,
      [filter.accountId ?? null, filter.status ?? null, filter.severity ?? null, before ?? null, limit],
    );
    return rows.map(toCase);
  }

  async insertMessage(tx: SqlExecutor, m: SupportMessage): Promise<void> {
    await tx.query('insert into support_case_messages (id, case_id, author, author_key_id, body, created_at) values ($1, $2, $3, $4, $5, $6)', [
      m.id,
      m.caseId,
      m.author,
      m.authorKeyId,
      m.body,
      m.createdAt,
    ]);
  }

  /** Oldest first: a conversation reads from the top. */
  async listMessages(caseId: string, limit: number, after?: string): Promise<SupportMessage[]> {
    const rows = await this.db.query<MessageRow>(
      'select * from support_case_messages where case_id = $1 and ($2::text is null or id > $2) order by id limit $3',
      [caseId, after ?? null, limit],
    );
    return rows.map(toMessage);
  }

  /** The ICCIDs among `iccids` that belong to the account. */
  async ownedIccids(accountId: string, iccids: string[]): Promise<Set<string>> {
    if (!iccids.length) return new Set();
    const rows = await this.db.query<{ iccid: string }>('select iccid from sims where account_id = $1 and iccid = any($2::text[])', [
      accountId,
      iccids,
    ]);
    return new Set(rows.map((r) => r.iccid));
  }
}
