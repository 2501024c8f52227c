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

/** Device secrets are stored with scrypt (node:crypto), as `scrypt$N$salt$hash`. */
const SCRYPT_KEYLEN = 32;
export async function hashDeviceSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, SCRYPT_KEYLEN);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyDeviceSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const candidate = await scrypt(secret, Buffer.from(salt, 'base64url'), SCRYPT_KEYLEN);
  const expected = Buffer.from(hash, 'base64url');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/**
 * One-time tokens (invites, password resets, sessions, recovery codes) are random and long: they are
 * stored as SHA-256 digests, like API keys, and compared by digest.
 */
export const hashToken = hashApiKeySecret;
