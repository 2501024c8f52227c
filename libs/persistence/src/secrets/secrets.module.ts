import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { SecretBox } from './secret-box.js';

/** Where the embedded shape keeps the platform key it generated (outside the database: a dump of it holds no key). */
export const generatedKeyPath = (dataDir: string) => path.join(dataDir, 'secrets.key');

/**
 * The platform key when SECRETS_KEY is unset (never in production: the configuration refuses it): read from
 * DATA_DIR, or generated once and stored there (mode 0600). Processes starting together agree on one key:
 * the file appears whole (written aside, then hard-linked into place) and the first link wins.
 */
export function loadOrCreateKey(dataDir: string): { key: Buffer; created: boolean } {
  const file = generatedKeyPath(dataDir);
  const read = () => Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  try {
    return { key: read(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const aside = `${file}.${randomUUID()}`;
  writeFileSync(aside, `${SecretBox.generateKey().toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(aside, file);
    return { key: read(), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: read(), created: false };
  } finally {
    unlinkSync(aside);
  }
}

export function secretBoxFor(config: AppConfig): SecretBox {
  if (config.secrets.key) return new SecretBox(config.secrets.key, config.secrets.previousKeys);
  const { key, created } = loadOrCreateKey(config.dataDir);
  if (created) new Logger('Secrets').warn(`SECRETS_KEY is not set: generated one in ${generatedKeyPath(config.dataDir)} (keep it with the data)`);
  return new SecretBox(key, config.secrets.previousKeys);
}

/** The platform's SecretBox (SECRETS_KEY), for whatever stores a secret it must read back. Import it where used. */
@Module({
  providers: [{ provide: SecretBox, inject: [APP_CONFIG], useFactory: secretBoxFor }],
  exports: [SecretBox],
})
export class SecretsModule {}
