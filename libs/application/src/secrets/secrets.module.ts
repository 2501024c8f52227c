import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { SecretBox, parseSecretsKey } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';

/**
 * The key of the SecretBox: SECRETS_KEY; or, outside production, one generated at the first start and kept
 * in `DATA_DIR/secrets.key` (mode 0600), so that the embedded shape needs no setting. Several processes
 * starting together agree on one file (exclusive create; the losers read the winner's key).
 */
export function loadSecretsKey(config: AppConfig): Buffer {
  if (config.secretsKey) {
    const key = parseSecretsKey(config.secretsKey);
    if (!key) throw new Error('SECRETS_KEY is not a 32-byte key');
    return key;
  }
  const file = path.join(config.dataDir, 'secrets.key');
  mkdirSync(config.dataDir, { recursive: true });
  try {
    const fd = openSync(file, 'wx', 0o600);
    const key = randomBytes(32);
    writeSync(fd, `${key.toString('base64')}\n`);
    closeSync(fd);
    new Logger('Secrets').log(`generated the secrets key in ${file} (set SECRETS_KEY to use your own)`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = parseSecretsKey(readFileSync(file, 'utf8'));
  if (!key) throw new Error(`${file} does not hold a 32-byte key: remove it or set SECRETS_KEY`);
  return key;
}

/** Provides the platform's SecretBox (encryption of secrets that must be read back). */
@Module({
  providers: [{ provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SecretBox(loadSecretsKey(config)) }],
  exports: [SecretBox],
})
export class SecretsModule {}
