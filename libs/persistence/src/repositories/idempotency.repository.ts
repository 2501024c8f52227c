import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../database.js';

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'in-progress'; requestHash: string }
  | { state: 'completed'; requestHash: string; statusCode: number; sealedResponse: string };

/**
 * Responses of POST requests sent with an Idempotency-Key, replayed for the same key and body until they
 * expire. Rows are found by a digest of the key; the response is stored sealed by the caller.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async claim(principal: string, keyDigest: string, requestHash: string, now: Date, expiresAt: Date): Promise<IdempotencyClaim> {
    for (;;) {
      const inserted = await this.db.query(
        'insert into idempotency_keys (principal, key_digest, request_hash, expires_at) values ($1, $2, $3, $4) on conflict do nothing returning key_digest',
        [principal, keyDigest, requestHash, expiresAt],
      );
      if (inserted.length) return { state: 'claimed' };
      const [row] = await this.db.query<{ request_hash: string; status_code: number | null; response_sealed: string | null; expires_at: Date }>(
        'select request_hash, status_code, response_sealed, expires_at from idempotency_keys where principal = $1 and key_digest = $2',
        [principal, keyDigest],
      );
      if (!row) continue;
      // Past its window, a key is new again (whether or not the purge has run yet).
      if (row.expires_at <= now) {
        await this.db.query('delete from idempotency_keys where principal = $1 and key_digest = $2 and expires_at <= $3', [
          principal,
          keyDigest,
          now,
        ]);
        continue;
      }
      return row.status_code === null || row.response_sealed === null
        ? { state: 'in-progress', requestHash: row.request_hash }
        : { state: 'completed', requestHash: row.request_hash, statusCode: row.status_code, sealedResponse: row.response_sealed };
    }
  }

  async complete(principal: string, keyDigest: string, statusCode: number, sealedResponse: string): Promise<void> {
    await this.db.query('update idempotency_keys set status_code = $3, response_sealed = $4 where principal = $1 and key_digest = $2', [
      principal,
      keyDigest,
      statusCode,
      sealedResponse,
    ]);
  }

  /** A request that failed releases its key, so that the client may retry it. */
  async release(principal: string, keyDigest: string): Promise<void> {
    await this.db.query('delete from idempotency_keys where principal = $1 and key_digest = $2 and status_code is null', [principal, keyDigest]);
  }

  /** Deletes the rows past their window; returns how many. */
  async purgeExpired(now: Date): Promise<number> {
    const rows = await this.db.query('delete from idempotency_keys where expires_at <= $1 returning key_digest', [now]);
    return rows.length;
  }
}
