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
}

@Injectable()
export class DeadLetterRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(record: DeadLetterRecord): Promise<void> {
    await this.db.query(
      'insert into dead_letters (id, queue, job_name, job_id, payload, error, attempts, failed_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [record.id, record.queue, record.jobName, record.jobId, JSON.stringify(record.payload), record.error, record.attempts, record.failedAt],
    );
  }

  async list(limit: number, after?: string): Promise<DeadLetterRecord[]> {
    const rows = await this.db.query<{
      id: string;
      queue: string;
      job_name: string;
      job_id: string | null;
      payload: unknown;
      error: string;
      attempts: number;
      failed_at: Date;
    }>('select * from dead_letters where ($1::text is null or id > $1) order by id limit $2', [after ?? null, limit]);
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      jobName: r.job_name,
      jobId: r.job_id,
      payload: r.payload,
      error: r.error,
      attempts: r.attempts,
      failedAt: r.failed_at,
    }));
  }
}
