import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { ACCOUNT_SCOPES, hashApiKeySecret, safeEqual, type AccountScope, type Principal } from '@simfleet/auth';
import {
  type Account,
  type NewApiKey,
  Clock,
  DomainError,
  ErrorCode,
  assertCanGrant,
  newId,
  randomSecret,
  decodeCursor,
  toPage,
  type Page,
} from '@simfleet/domain';
import { AccountRepository, ApiKeyRepository, type Database, type SqlExecutor } from '@simfleet/persistence';
import { AuthThrottle } from '../identity/auth-throttle.module.js';

/** `key_01J….<secret>`: the id part finds the stored hash, the secret part is verified against it. */
const formatKey = (id: string, secret: string) => `${id}.${secret}`;
const parseKey = (key: string): { id: string; secret: string } | null => {
  const match = /^(key_[0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{20,})$/.exec(key);
  return match ? { id: match[1], secret: match[2] } : null;
};

@Injectable()
export class AccountsService {
  constructor(
    @Inject(AccountRepository) private readonly accounts: AccountRepository,
    @Inject(ApiKeyRepository) private readonly keys: ApiKeyRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  createAccount(name: string): Promise<Account> {
    return this.accounts.create({ id: newId('acc'), name, createdAt: this.clock.now() });
  }

  async getAccount(id: string): Promise<Account> {
    const account = await this.accounts.findById(id);
    if (!account) throw DomainError.notFound('Account', id);
    return account;
  }

  async listAccounts(limit: number, cursor?: string): Promise<Page<Account>> {
    const rows = await this.accounts.list(limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (a) => a.id);
  }

  /**
   * A new key of the account, shown once. `grantor` (the caller) must hold every scope it gives: a user
   * or key creates keys up to its own scopes; the platform admin, any.
   */
  async createApiKey(accountId: string, name: string, scopes: AccountScope[], grantor?: Principal): Promise<NewApiKey> {
    await this.getAccount(accountId);
    const unique = [...new Set(scopes)].filter((s) => (ACCOUNT_SCOPES as readonly string[]).includes(s));
    if (grantor?.kind === 'account') assertCanGrant(grantor.accountId === accountId ? grantor.scopes : [], unique, 'a key with these scopes');
    const id = newId('key');
    const secret = randomSecret();
    const createdAt = this.clock.now();
    await this.keys.insert({ id, accountId, name, secretHash: hashApiKeySecret(secret), scopes: unique, createdAt });
    return { id, accountId, name, scopes: unique, key: formatKey(id, secret), createdAt };
  }

  async listApiKeys(accountId: string) {
    await this.getAccount(accountId);
    return this.keys.listByAccount(accountId);
  }

  async revokeApiKey(accountId: string, keyId: string): Promise<void> {
    if (!(await this.keys.revoke(accountId, keyId, this.clock.now()))) throw DomainError.notFound('API key', keyId);
  }
}

interface CachedKey {
  principal: Principal | null;
  secretHash: string;
  expiresAt: number;
}

const ADMIN_KEY_PRINCIPAL: Principal = { kind: 'admin', actor: { type: 'api_key', id: 'admin', name: 'ADMIN_API_KEY' } };

/** Resolves `Authorization: Bearer <key>` to a principal: an account key, or the platform admin key. */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger('Auth');
  private readonly adminKeyHash?: string;
  // A short cache keeps key lookups off the database on busy clients; revocation applies within its TTL.
  private readonly cache = new Map<string, CachedKey>();
  private static readonly CACHE_TTL_MS = 5_000;
  private static readonly TOUCH_EVERY_MS = 60_000;
  private readonly touchedAt = new Map<string, number>();

  constructor(
    @Inject(ApiKeyRepository) private readonly keys: ApiKeyRepository,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AuthThrottle) private readonly throttle: AuthThrottle,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.adminKeyHash = config.adminApiKey ? hashApiKeySecret(config.adminApiKey) : undefined;
  }

  /**
   * With `address` (HTTP), invalid keys are throttled per address with growing delays: while an address
   * waits, its requests are refused (429) without being checked — but for keys this process verified a
   * moment ago, so that well-behaved clients sharing the address keep working.
   */
  async authenticate(key: string, address: string | null = null): Promise<Principal> {
    const wait = await this.throttle.apiKeyWait(address);
    if (wait > 0) {
      const known = this.recentlyVerified(key);
      if (known) return known;
      const seconds = Math.ceil(wait / 1000);
      throw new DomainError(ErrorCode.RateLimited, `Too many requests with invalid API keys from this address: retry in ${seconds} s`, {
        retryAfterSeconds: seconds,
        headers: { 'retry-after': String(seconds) },
      });
    }
    try {
      return await this.verify(key);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.Unauthenticated) await this.throttle.apiKeyFailed(address);
      throw error;
    }
  }

  private recentlyVerified(key: string): Principal | null {
    if (this.adminKeyHash && safeEqual(hashApiKeySecret(key), this.adminKeyHash)) return ADMIN_KEY_PRINCIPAL;
    const parsed = parseKey(key);
    const cached = parsed ? this.cache.get(parsed.id) : undefined;
    if (!parsed || !cached?.principal || cached.expiresAt < this.clock.now().getTime()) return null;
    return safeEqual(hashApiKeySecret(parsed.secret), cached.secretHash) ? cached.principal : null;
  }

  private async verify(key: string): Promise<Principal> {
    if (this.adminKeyHash && safeEqual(hashApiKeySecret(key), this.adminKeyHash)) return ADMIN_KEY_PRINCIPAL;
    const parsed = parseKey(key);
    if (!parsed) throw new DomainError(ErrorCode.Unauthenticated, 'The API key is malformed');
    const now = this.clock.now().getTime();
    let cached = this.cache.get(parsed.id);
    if (!cached || cached.expiresAt < now) {
      const record = await this.keys.findActiveById(parsed.id);
      cached = {
        secretHash: record?.secretHash ?? '',
        expiresAt: now + ApiKeyAuthenticator.CACHE_TTL_MS,
        principal: !record
          ? null
          : record.accountId === null
            ? { kind: 'admin', actor: { type: 'api_key', id: record.id, name: record.name } }
            : {
                kind: 'account',
                accountId: record.accountId,
                actor: { type: 'api_key', id: record.id, name: record.name },
                scopes: record.scopes as AccountScope[],
              },
      };
      this.cache.set(parsed.id, cached);
    }
    if (!cached.principal || !safeEqual(hashApiKeySecret(parsed.secret), cached.secretHash)) {
      throw new DomainError(ErrorCode.Unauthenticated, 'The API key is unknown or revoked');
    }
    this.touch(parsed.id, now);
    return cached.principal;
  }

  private touch(id: string, now: number): void {
    if ((this.touchedAt.get(id) ?? 0) + ApiKeyAuthenticator.TOUCH_EVERY_MS > now) return;
    this.touchedAt.set(id, now);
    this.keys.touch(id, new Date(now)).catch((error: unknown) => this.logger.warn(`could not record key use: ${String(error)}`));
  }

  /**
   * With no ADMIN_API_KEY configured and no stored admin key yet, generates one, stores its hash and
   * returns it so that startup can print it once.
   */
  async ensureAdminKey(): Promise<string | null> {
    if (this.adminKeyHash || (await this.keys.hasAdminKey())) return null;
    return this.storeAdminKey('platform admin (generated)');
  }

  /**
   * Recovers admin access without touching the data (`npm run admin-key -- --rotate`): revokes every
   * stored admin key and stores a new one, returned once. ADMIN_API_KEY, when set, keeps working.
   */
  async rotateAdminKey(db: Database): Promise<{ key: string; revoked: number }> {
    return db.transaction(async (tx) => {
      const revoked = await this.keys.revokeStoredAdminKeys(this.clock.now(), tx);
      return { key: await this.storeAdminKey('platform admin (rotated)', tx), revoked };
    });
  }

  private async storeAdminKey(name: string, tx?: SqlExecutor): Promise<string> {
    const id = newId('key');
    const secret = randomSecret();
    await this.keys.insert({ id, accountId: null, name, secretHash: hashApiKeySecret(secret), scopes: ['admin'], createdAt: this.clock.now() }, tx);
    return formatKey(id, secret);
  }
}
