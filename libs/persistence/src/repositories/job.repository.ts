import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from '../database.js';

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobFailure {
  iccid: string;
  reason: string;
}

/** An asynchronous job of an account, as stored (its targets are read in slices, not with the job). */
export interface AccountJob {
  id: string;
  accountId: string;
  kind: string;
  action: string;
  status: JobStatus;
  actor: string;
  /** The request that started the job: its changes are audited under it. */
  requestId: string | null;
  reason: string | null;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  account_id: string;
  kind: string;
  action: string;
  status: JobStatus;
  actor: string;
  request_id: string | null;
  reason: string | null;
  total: number;
  processed: number;
  succeeded: number;
  failed_count: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS =
  'id, account_id, kind, action, status, actor, request_id, reason, total, processed, succeeded, failed_count, error, created_at, started_at, finished_at';

const toJob = (r: JobRow): AccountJob => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  action: r.action,
  status: r.status,
  actor: r.actor,
  requestId: r.request_id,
  reason: r.reason,
  total: r.total,
  processed: r.processed,
  succeeded: r.succeeded,
  failed: r.failed_count,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

@Injectable()
export class JobRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(
    tx: SqlExecutor,
    job: Pick<AccountJob, 'id' | 'accountId' | 'kind' | 'action' | 'actor' | 'reason' | 'createdAt'> & { requestId?: string | null },
    targets: string[],
  ): Promise<AccountJob> {
    const [row] = await tx.query<JobRow>(
      `insert into jobs (id, account_id, kind, action, status, actor, reason, targets, total, created_at, request_id)
       values ($1, $2, $3, $4, 'queued', $5, $6, $7::text[], $8, $9, $10) returning ${COLUMNS}`,
      [job.id, job.accountId, job.kind, job.action, job.actor, job.reason, targets, targets.length, job.createdAt, job.requestId ?? null],
    );
    return toJob(row);
  }

  /** A job of the account (another account's job is not found). */
  async find(accountId: string, id: string): Promise<AccountJob | null> {
    const [row] = await this.db.query<JobRow>(`select ${COLUMNS} from jobs where account_id = $1 and id = $2`, [accountId, id]);
    return row ? toJob(row) : null;
  }

  /** For the worker, which knows only the id. */
  async findById(id: string): Promise<AccountJob | null> {
    const [row] = await this.db.query<JobRow>(`select ${COLUMNS} from jobs where id = $1`, [id]);
    return row ? toJob(row) : null;
  }

  async list(accountId: string, limit: number, after?: string): Promise<AccountJob[]> {
    const rows = await this.db.query<JobRow>(
      `select ${COLUMNS} from jobs where account_id = $1 and ($2::text is null or id < $2) order by id desc limit $3`,
      [accountId, after ?? null, limit],
    );
    return rows.map(toJob);
  }

  /** Targets `from` (0-based, inclusive) to `to` (exclusive). */
  async targets(id: string, from: number, to: number): Promise<string[]> {
    const [row] = await this.db.query<{ slice: string[] | null }>('select targets[$2:$3] as slice from jobs where id = $1', [id, from + 1, to]);
    return row?.slice ?? [];
  }

  async markRunning(id: string, at: Date): Promise<void> {
    await this.db.query(
      `update jobs set status = 'running', started_at = coalesce(started_at, $2) where id = $1 and status in ('queued', 'running')`,
      [id, at],
    );
  }

  /**
   * Records a processed chunk: its failures (keyed by target position, so a retried chunk does not count
   * twice) and the new resume point. Counts are derived from the stored failures.
   */
  async recordProgress(id: string, processed: number, failures: Array<JobFailure & { seq: number }>): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (failures.length) {
        await tx.query(
          `insert into job_failures (job_id, seq, iccid, reason)
           select $1::text, * from unnest($2::int[], $3::text[], $4::text[]) on conflict (job_id, seq) do nothing`,
          [id, failures.map((f) => f.seq), failures.map((f) => f.iccid), failures.map((f) => f.reason)],
        );
      }
      await tx.query(
        `update jobs set processed = $2::int,
                failed_count = (select count(*) from job_failures where job_id = $1),
                succeeded = $2::int - (select count(*) from job_failures where job_id = $1)
          where id = $1`,
        [id, processed],
      );
    });
  }

  async finish(tx: SqlExecutor, id: string, status: 'completed' | 'failed', at: Date, error: string | null = null): Promise<AccountJob> {
    const [row] = await tx.query<JobRow>(`update jobs set status = $2, finished_at = $3, error = $4 where id = $1 returning ${COLUMNS}`, [
      id,
      status,
      at,
      error,
    ]);
    return toJob(row);
  }

  async failures(id: string, limit: number, afterSeq = -1): Promise<Array<JobFailure & { seq: number }>> {
    return this.db.query<JobFailure & { seq: number }>(
      'select seq, iccid, reason from job_failures where job_id = $1 and seq > $2 order by seq limit $3',
      [id, afterSeq, limit],
    );
  }
}
