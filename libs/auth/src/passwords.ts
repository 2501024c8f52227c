import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))));

/**
 * Passwords are stored with scrypt (memory-hard, node:crypto) as `scrypt$N$r$p$salt$hash`. The cost
 * (N=2^15, r=8, p=3: 32 MiB per hash) is one of OWASP's recommended scrypt settings; the parameters are
 * kept in each hash so that a later, costlier setting re-hashes passwords as their owners sign in.
 */
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

/** Longest accepted password: long passphrases are welcome, megabytes of input are not. */
export const PASSWORD_MAX_LENGTH = 256;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEYLEN, { ...COST, maxmem: MAXMEM });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const candidate = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/** Whether a stored hash was made with other parameters than today's (re-hash it at the next sign-in). */
export const passwordNeedsRehash = (stored: string): boolean => !stored.startsWith(`scrypt$${COST.N}$${COST.r}$${COST.p}$`);

/**
 * A hash of no one's password: signing in with an unknown e-mail verifies against it, so that the answer
 * takes as long as for a known e-mail and tells nothing about which e-mails exist.
 */
export const DECOY_PASSWORD_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEYLEN).toString('base64url')}`;
