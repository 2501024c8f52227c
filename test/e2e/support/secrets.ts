import { Redis } from 'ioredis';
import { Database } from '@simfleet/persistence';
import type { RunningPlatform } from '@simfleet/bootstrap';

/**
 * Secrets the API handed out during this test file, gathered generically from every successful response
 * (ApiClient): any string field whose name says it is a secret (`secret`, `key`, `token`, `password`,
 * `deviceSecret`, `inviteToken`, `recoveryCodes`…) and every cookie set. A new kind of secret is picked up
 * as long as its field is named like one — nothing to register.
 */
const SECRET_FIELD = /(secret|token|password|passphrase|^key$|apikey|otp|recovery)/i;
/** Fields named after a secret but describing it (`previousSecretExpiresAt`, `tokenId`). */
const ABOUT_A_SECRET = /(At|Id|Ids|Count|Hash|Prefix|Hint)$/;
const MIN_SECRET_LENGTH = 16;
/** Values that identify rather than authenticate, even in a field named `key` (a report's group key): ICCIDs, `grp_<ULID>`. */
const IDENTIFIER = /^(\d+|[a-z]+_[0-9A-HJKMNP-TV-Z]{26})$/;

export interface HandedOutSecret {
  /** Where it came from: the field's path, or `set-cookie`. */
  source: string;
  value: string;
}

const handedOut = new Map<string, HandedOutSecret>();

function collect(value: unknown, path: string, secretContext: boolean): void {
  if (typeof value === 'string') {
    if (secretContext && value.length >= MIN_SECRET_LENGTH && !IDENTIFIER.test(value)) handedOut.set(value, { source: path, value });
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((item, i) => collect(item, `${path}/${i}`, secretContext));
  for (const [key, item] of Object.entries(value))
    collect(item, path ? `${path}/${key}` : key, secretContext || (SECRET_FIELD.test(key) && !ABOUT_A_SECRET.test(key)));
}

/**
 * Notes the secrets of a 2xx response (ApiClient calls it for every response), and those the client sent in
 * the request that succeeded (a password set, a one-time token from an e-mail): the platform must keep
 * neither readable either.
 */
export function recordHandedOutSecrets(body: unknown, headers?: Headers, requestBody?: unknown): void {
  collect(body, '', false);
  if (requestBody !== undefined) collect(requestBody, 'request', false);
  for (const cookie of headers?.getSetCookie?.() ?? []) {
    const value = cookie.split(';')[0].split('=').slice(1).join('=');
    if (value.length >= MIN_SECRET_LENGTH) handedOut.set(value, { source: 'set-cookie', value });
  }
}

/** A secret the test itself configured (the admin key). */
export function recordSecret(source: string, value: string): void {
  handedOut.set(value, { source, value });
}

export const handedOutSecrets = (): HandedOutSecret[] => [...handedOut.values()];

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The bytes of RFC 4648 base32 text (a TOTP secret), or null when it is not base32. */
function base32Bytes(text: string): Buffer | null {
  const clean = text.toUpperCase().replace(/=+$/, '');
  if (!/^[A-Z2-7]+$/.test(clean)) return null;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/**
 * The forms a secret could be stored in readable: as given, its random part (`key_….<random>`,
 * `whsec_<base64>`), without its separators (a recovery code `abcd-efgh-…`, as typed), and that part's
 * bytes in hex when it is base64 or base32 (a TOTP secret).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret]);
  const afterDot = secret.slice(secret.lastIndexOf('.') + 1);
  const afterPrefix = /^[a-z]+_(.+)$/.exec(secret)?.[1];
  const unseparated = /^[A-Za-z0-9]+([- ][A-Za-z0-9]+)+$/.test(secret) ? secret.replace(/[- ]/g, '') : undefined;
  for (const part of [afterDot, afterPrefix, unseparated]) {
    if (!part || part.length < MIN_SECRET_LENGTH) continue;
    forms.add(part);
    if (/^[A-Za-z0-9+/_-]+=*$/.test(part)) {
      const bytes = Buffer.from(part.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
      if (bytes.length >= 12) forms.add(bytes.toString('hex'));
    }
    const base32 = base32Bytes(part);
    if (base32 && base32.length >= 10) forms.add(base32.toString('hex'));
  }
  return [...forms];
}

export interface SecretAtRest {
  secret: HandedOutSecret;
  where: string;
  excerpt: string;
}

/** Every table of the system of record, each row as text (PostgreSQL's row-to-text), plus Redis keys and values when it is used. */
export async function dumpAtRest(platform: RunningPlatform, env: Record<string, string>): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  const db = platform.app.get(Database);
  const tables = await db.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  );
  for (const { schema, name } of tables) {
    const rows = await db.query<{ row: string }>(`select t::text as row from "${schema}"."${name}" t`);
    dump.set(`table ${schema}.${name}`, rows.map((r) => r.row).join('\n'));
  }
  if (env.REDIS_URL && env.REDIS_PREFIX) {
    const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.REDIS_PREFIX}*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) dump.set(`redis ${key}`, await redisText(redis, key));
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
  return dump;
}

async function redisText(redis: Redis, key: string): Promise<string> {
  switch (await redis.type(key)) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return (await redis.lrange(key, 0, -1)).join('\n');
    case 'set':
      return (await redis.smembers(key)).join('\n');
    case 'zset':
      return (await redis.zrange(key, 0, -1)).join('\n');
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}

/** Where a handed-out secret can be read at rest (empty when none can). */
export async function secretsAtRest(platform: RunningPlatform, env: Record<string, string>): Promise<SecretAtRest[]> {
  const secrets = handedOutSecrets();
  if (!secrets.length) return [];
  const dump = await dumpAtRest(platform, env);
  const found: SecretAtRest[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret.value)) {
      for (const [where, text] of dump) {
        const at = text.indexOf(form);
        if (at >= 0) found.push({ secret, where, excerpt: text.slice(Math.max(0, at - 80), at + form.length + 40) });
      }
    }
  }
  return found;
}

export const describeSecretsAtRest = (found: SecretAtRest[]) =>
  found.map((f) => `  ${f.secret.source} (${f.secret.value.slice(0, 12)}…) readable in ${f.where}: …${f.excerpt}…`).join('\n');
