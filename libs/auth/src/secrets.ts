import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/**
 * API keys are 256-bit random tokens: a fast SHA-256 digest is enough to store them (no dictionary to
 * guess from), and it keeps authentication off the hot path's CPU budget.
 */
export const hashApiKeySecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Device secrets are 192-bit random values the platform generates (never chosen by a person), stored as
 * `sha256$salt$digest`. A slow KDF (scrypt, ~45 ms of CPU) only protects guessable secrets: against a
 * random 192-bit secret an attacker holding the digest has nothing to guess from, whatever the KDF costs,
 * while the broker pays that cost on every connect (a reconnect storm of 10,000 devices took minutes).
 * A salted SHA-256 keeps the stored secret unusable without the secret itself and costs ~1 µs.
 * Secrets stored by earlier versions (`scrypt$salt$hash`) still verify; `needsRehash` tells the caller
 * to store them again in the current form.
 */
const SCRYPT_KEYLEN = 32;
const CURRENT_SCHEME = 'sha256';

const saltedDigest = (secret: string, salt: Buffer): Buffer => createHash('sha256').update(salt).update(secret, 'utf8').digest();

export function hashDeviceSecret(secret: string): string {
  const salt = randomBytes(16);
  return `${CURRENT_SCHEME}$${salt.toString('base64url')}$${saltedDigest(secret, salt).toString('base64url')}`;
}

export async function verifyDeviceSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  let candidate: Buffer;
  if (scheme === CURRENT_SCHEME) candidate = saltedDigest(secret, Buffer.from(salt, 'base64url'));
  else if (scheme === 'scrypt') candidate = await scrypt(secret, Buffer.from(salt, 'base64url'), SCRYPT_KEYLEN);
  else return false;
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/** A stored device secret in an earlier form (scrypt): verify it, then store `hashDeviceSecret(secret)` instead. */
export const deviceSecretNeedsRehash = (stored: string): boolean => !stored.startsWith(`${CURRENT_SCHEME}$`);

/**
 * One-time tokens (invites, password resets, sessions, recovery codes) are random and long: they are
 * stored as SHA-256 digests, like API keys, and compared by digest.
 */
export const hashToken = hashApiKeySecret;
