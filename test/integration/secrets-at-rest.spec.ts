import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Database,
  IdempotencyRepository,
  SecretBox,
  UserRepository,
  WebhookRepository,
  generatedKeyPath,
  loadOrCreateKey,
  migrate,
} from '@simfleet/persistence';
import { MfaService, SystemClock } from '@simfleet/application';
import type { WebhookEndpoint } from '@simfleet/domain';
import { requireServers } from '../harness/isolation.js';
import { databaseEngines } from './support/engines.js';

// Secrets the platform must read back are sealed where they are stored, on both engines; the key is rotated
// by sealing again; Idempotency-Key rows expire and are purged.

const engines = databaseEngines(2);

const endpoint = (id: string, secret: string, previousSecret: string | null = null): WebhookEndpoint => ({
  id,
  accountId: 'acc_sealed',
  url: 'https://93.184.215.14/hook',
  description: null,
  events: ['*'],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  secret,
  previousSecret,
  previousSecretExpiresAt: previousSecret ? new Date(Date.now() + 60_000) : null,
  failingSince: null,
  createdAt: new Date(),
  updatedAt: new Date(),
});

describe.each(engines)('secrets at rest on %s', (engine, open) => {
  const suite = engine === 'postgres' ? requireServers('postgres') : describe;
  suite(engine, () => {
    let db: Database;
    let release: () => Promise<void>;
    const oldKey = SecretBox.generateKey();

    beforeAll(async () => {
      ({ db, release } = await open());
      await migrate(db);
      await db.query("insert into accounts (id, name) values ('acc_sealed', 'sealed')");
    });
    afterAll(async () => release?.());

    it('stores webhook signing secrets sealed, and reads them back', async () => {
      const webhooks = new WebhookRepository(db, new SecretBox(oldKey));
      await db.transaction((tx) =>
        webhooks.insertEndpoint(tx, endpoint('whk_sealed1', 'whsec_Y3VycmVudC1zZWNyZXQtb2YtdGhlLWVuZHBvaW50', 'whsec_b2xk')),
      );
      const [row] = await db.query<{ secret: string; previous_secret: string }>(
        "select secret, previous_secret from webhook_endpoints where id = 'whk_sealed1'",
      );
      expect(row.secret).toMatch(/^sb1\./);
      expect(row.previous_secret).toMatch(/^sb1\./);
      expect(JSON.stringify(row)).not.toContain('Y3VycmVudC1zZWNyZXQ');
      expect(await webhooks.findEndpoint('acc_sealed', 'whk_sealed1')).toMatchObject({
        secret: 'whsec_Y3VycmVudC1zZWNyZXQtb2YtdGhlLWVuZHBvaW50',
        previousSecret: 'whsec_b2xk',
      });
    });

    it('seals again, with a new SECRETS_KEY, the secrets of the old one and those stored in clear', async () => {
      // A row from before sealing existed.
      await db.query(
        `insert into webhook_endpoints (id, account_id, url, events, enabled, secret, created_at, updated_at)
         values ('whk_clear', 'acc_sealed', 'https://93.184.215.14/hook', '{*}', true, 'whsec_aW4tY2xlYXItc2VjcmV0', now(), now())`,
      );
      const rotated = new WebhookRepository(db, new SecretBox(SecretBox.generateKey(), [oldKey]));
      expect(await rotated.resealSecrets()).toBe(2);
      expect(await rotated.resealSecrets()).toBe(0);
      const rows = await db.query<{ id: string; secret: string }>('select id, secret from webhook_endpoints order by id');
      for (const row of rows) expect(row.secret).toMatch(/^sb1\./);
      expect((await rotated.findEndpoint('acc_sealed', 'whk_clear'))?.secret).toBe('whsec_aW4tY2xlYXItc2VjcmV0');
      expect((await rotated.findEndpoint('acc_sealed', 'whk_sealed1'))?.previousSecret).toBe('whsec_b2xk');
      // Once rotated, the old key alone opens nothing.
      await expect(new WebhookRepository(db, new SecretBox(oldKey)).findEndpoint('acc_sealed', 'whk_clear')).rejects.toThrow(/neither SECRETS_KEY/);
    });

    it('seals the TOTP secrets of the old SECRETS_KEY again with the new one, active and pending alike', async () => {
      const old = new SecretBox(oldKey);
      await db.query(
        `insert into users (id, account_id, email, role, status, created_at, updated_at, mfa_secret, mfa_pending_secret)
         values ('usr_totp1', 'acc_sealed', 'totp1@example.com', 'owner', 'active', now(), now(), $1, null),
                ('usr_totp2', 'acc_sealed', 'totp2@example.com', 'owner', 'active', now(), now(), null, $2)`,
        [old.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'totp:usr_totp1'), old.seal('KRUGS4ZANFZSAYJAONSWG4TFOQQQ', 'totp:usr_totp2')],
      );
      const rotated = new SecretBox(SecretBox.generateKey(), [oldKey]);
      // Only the reseal is exercised: it needs neither the sign-in throttle nor the settings.
      const mfa = new MfaService(db, new UserRepository(db), rotated, undefined as never, new SystemClock(), undefined as never);
      expect(await mfa.resealSecrets()).toBe(2);
      expect(await mfa.resealSecrets()).toBe(0);
      const rows = await db.query<{ id: string; mfa_secret: string | null; mfa_pending_secret: string | null }>(
        "select id, mfa_secret, mfa_pending_secret from users where id like 'usr_totp%' order by id",
      );
      expect(rows[0].mfa_secret!.split('.')[1]).toBe(rotated.keyId);
      expect(rotated.open(rows[0].mfa_secret!, 'totp:usr_totp1')).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
      expect(rotated.open(rows[1].mfa_pending_secret!, 'totp:usr_totp2')).toBe('KRUGS4ZANFZSAYJAONSWG4TFOQQQ');
      expect(() => old.open(rows[0].mfa_secret!, 'totp:usr_totp1')).toThrow(/neither SECRETS_KEY/);
    });

    it('keeps Idempotency-Key rows for their window only: an expired key is new again, and the purge deletes it', async () => {
      const store = new IdempotencyRepository(db);
      const t0 = new Date('2026-06-01T00:00:00Z');
      const expires = new Date(t0.getTime() + 24 * 3_600_000);
      expect(await store.claim('admin', 'digest-1', 'hash-1', t0, expires)).toEqual({ state: 'claimed' });
      await store.complete('admin', 'digest-1', 201, 'sb1.sealed');
      expect(await store.claim('admin', 'digest-1', 'hash-1', new Date(t0.getTime() + 3_600_000), expires)).toEqual({
        state: 'completed',
        requestHash: 'hash-1',
        statusCode: 201,
        sealedResponse: 'sb1.sealed',
      });
      const later = new Date(expires.getTime() + 1);
      expect(await store.claim('admin', 'digest-1', 'hash-2', later, new Date(later.getTime() + 1000))).toEqual({ state: 'claimed' });
      expect(await store.purgeExpired(new Date(later.getTime() + 2000))).toBe(1);
      expect(await db.query("select * from idempotency_keys where key_digest = 'digest-1'")).toEqual([]);
    });
  });
});

describe('the generated platform key (embedded shape)', () => {
  it('is generated once into DATA_DIR, readable by its owner only, and read back afterwards', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-key-'));
    try {
      const first = loadOrCreateKey(dir);
      expect(first.created).toBe(true);
      expect(first.key).toHaveLength(32);
      expect(statSync(generatedKeyPath(dir)).mode & 0o777).toBe(0o600);
      const again = loadOrCreateKey(dir);
      expect(again).toEqual({ key: first.key, created: false });
      expect(readFileSync(generatedKeyPath(dir), 'utf8').trim()).toBe(first.key.toString('base64url'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
