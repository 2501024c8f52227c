import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

export interface DeadLetterRecord {
  id: string;
  queue: string;
  jobName: string;
  jobId: string | null;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: Date;
  /** When it was last queued again, and as which job; null until replayed. */
  replayedAt: Date | null;
  replayJobId: string | null;
}

interface DeadLetterRow {
  id: string;
  queue: string;
  job_name: string;
  job_id: string | null;
  payload: unknown;
  error: string;
  attempts: number;
  failed_at: Date;
  replayed_at: Date | null;
  replay_job_id: string | null;
}

const toRecord = (r: DeadLetterRow): DeadLetterRecord => ({
  id: r.id,
  queue: r.queue,
  jobName: r.job_name,
  jobId: r.job_id,
  payload: r.payload,
  error: r.error,
  attempts: r.attempts,
  failedAt: r.failed_at,
  replayedAt: r.replayed_at,
  replayJobId: r.replay_job_id,
});

@Injectable()
export class DeadLetterRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** `failureKey`: recording the same failure again is a no-op (see migration 0020). */
  async insert(record: Omit<DeadLetterRecord, 'replayedAt' | 'replayJobId'>, failureKey?: string): Promise<void> {
    await this.db.query(
      `insert into dead_letters (id, queue, job_name, job_id, payload, error, attempts, failed_at, failure_key) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (failure_key) do nothing`,
      [
        record.id,
        record.queue,
        record.jobName,
        record.jobId,
        JSON.stringify(record.payload),
        record.error,
        record.attempts,
        record.failedAt,
        failureKey ?? null,
      ],
    );
  }

  async list(limit: number, after?: string): Promise<DeadLetterRecord[]> {
    const rows = await this.db.query<DeadLetterRow>(
      `select id, queue, job_name, job_id, payload, error, attempts, failed_at, replayed_at, replay_job_id
         from dead_letters where ($1::text is null or id > $1) order by id limit $2`,
      [after ?? null, limit],
    );
    return rows.map(toRecord);
  }

  async get(id: string): Promise<DeadLetterRecord | null> {
    const [row] = await this.db.query<DeadLetterRow>(
      'select id, queue, job_name, job_id, payload, error, attempts, failed_at, replayed_at, replay_job_id from dead_letters where id = $1',
      [id],
    );
    return row ? toRecord(row) : null;
  }

  /** Marks it replayed as `jobId`, once: a second call returns the first replay as it stands. */
  async markReplayed(id: string, jobId: string, at: Date): Promise<DeadLetterRecord | null> {
    await this.db.query('update dead_letters set replayed_at = $2, replay_job_id = $3 where id = $1 and replayed_at is null', [id, at, jobId]);
    return this.get(id);
  }
}
