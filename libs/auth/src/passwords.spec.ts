import { DECOY_PASSWORD_HASH, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords.js';

describe('password hashing (scrypt)', () => {
  it('stores a salted scrypt hash that verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('horse');
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(passwordNeedsRehash(hash)).toBe(false);
    expect(passwordNeedsRehash('scrypt$16384$8$1$aaaa$bbbb')).toBe(true);
  });

  it('verifies older parameters (kept in the hash), and never matches the decoy', async () => {
    expect(await verifyPassword('', DECOY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('anything', 'bcrypt$whatever')).toBe(false);
  });
});
