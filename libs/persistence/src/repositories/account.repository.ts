import { Inject, Injectable } from '@nestjs/common';
import type { Account, ApiKeyRecord } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface AccountRow {
  id: string;
  name: string;
  created_at: Date;
}

interface ApiKeyRow {
  id: string;
  account_id: string | null;
  name: string;
  secret_hash: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toAccount = (row: AccountRow): Account => ({ id: row.id, name: row.name, createdAt: row.created_at });
const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  secretHash: row.secret_hash,
  scopes: row.scopes,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

@Injectable()
export class AccountRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async create(account: Account): Promise<Account> {
    const [row] = await this.db.query<AccountRow>('insert into accounts (id, name, created_at) values ($1, $2, $3) returning *', [
      account.id,
      account.name,
      account.createdAt,
    ]);
    return toAccount(row);
  }

  async findById(id: string): Promise<Account | null> {
    const [row] = await this.db.query<AccountRow>('select * from accounts where id = $1', [id]);
    return row ? toAccount(row) : null;
  }

  async list(limit: number, after?: string): Promise<Account[]> {
    const rows = await this.db.query<AccountRow>('select * from accounts where ($1::text is null or id > $1) order by id limit $2', [
      after ?? null,
      limit,
    ]);
    return rows.map(toAccount);
  }
}

@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>, tx: SqlExecutor = this.db): Promise<void> {
    await tx.query('insert into api_keys (id, account_id, name, secret_hash, scopes, created_at) values ($1, $2, $3, $4, $5, $6)', [
      key.id,
      key.accountId,
      key.name,
      key.secretHash,
      key.scopes,
      key.createdAt,
    ]);
  }

  async findActiveById(id: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.db.query<ApiKeyRow>('select * from api_keys where id = $1 and revoked_at is null', [id]);
    return row ? toApiKey(row) : null;
  }

  async listByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.query<ApiKeyRow>('select * from api_keys where account_id = $1 order by id', [accountId]);
    return rows.map(toApiKey);
  }

  async revoke(accountId: string, id: string, at: Date): Promise<boolean> {
    const rows = await this.db.query('update api_keys set revoked_at = $3 where account_id = $1 and id = $2 and revoked_at is null returning id', [
      accountId,
      id,
      at,
    ]);
    return rows.length > 0;
  }

  /** Revokes every stored (generated) platform admin key; returns how many. */
  async revokeStoredAdminKeys(at: Date, tx: SqlExecutor = this.db): Promise<number> {
    const rows = await tx.query(
      "update api_keys set revoked_at = $1 where account_id is null and 'admin' = any(scopes) and revoked_at is null returning id",
      [at],
    );
    return rows.length;
  }

  /** Whether a stored (generated) platform admin key exists. */
  async hasAdminKey(): Promise<boolean> {
    const rows = await this.db.query("select 1 from api_keys where account_id is null and 'admin' = any(scopes) and revoked_at is null limit 1");
    return rows.length > 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.query('update api_keys set last_used_at = $2 where id = $1', [id, at]);
  }
}
