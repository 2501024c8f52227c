import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'in-progress'; requestHash: string }
  | { state: 'completed'; requestHash: string; statusCode: number; body: unknown };

/** Stored responses of POST requests sent with an Idempotency-Key, replayed for the same key and body. */
@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async claim(principal: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const inserted = await this.db.query(
      'insert into idempotency_keys (principal, key, request_hash) values ($1, $2, $3) on conflict do nothing returning key',
      [principal, key, requestHash],
    );
    if (inserted.length) return { state: 'claimed' };
    const [row] = await this.db.query<{ request_hash: string; status_code: number | null; response_body: unknown }>(
      'select request_hash, status_code, response_body from idempotency_keys where principal = $1 and key = $2',
      [principal, key],
    );
    if (!row) return this.claim(principal, key, requestHash);
    return row.status_code === null
      ? { state: 'in-progress', requestHash: row.request_hash }
      : { state: 'completed', requestHash: row.request_hash, statusCode: row.status_code, body: row.response_body };
  }

  async complete(principal: string, key: string, statusCode: number, body: unknown): Promise<void> {
    await this.db.query('update idempotency_keys set status_code = $3, response_body = $4 where principal = $1 and key = $2', [
      principal,
      key,
      statusCode,
      JSON.stringify(body ?? null),
    ]);
  }

  /** A request that failed releases its key, so that the client may retry it. */
  async release(principal: string, key: string): Promise<void> {
    await this.db.query('delete from idempotency_keys where principal = $1 and key = $2 and status_code is null', [principal, key]);
  }
}
