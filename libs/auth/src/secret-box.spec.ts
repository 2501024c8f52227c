import { randomBytes } from 'node:crypto';
import { SecretBox, parseSecretsKey } from './secret-box.js';

describe('SecretBox', () => {
  const key = randomBytes(32);

  it('seals so that the plaintext is not readable, and opens with the same key and context', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'usr_1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP', 'usr_1')).not.toBe(sealed);
    expect(box.open(sealed, 'usr_1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another key, another context, or an altered value', () => {
    const sealed = new SecretBox(key).seal('secret', 'usr_1');
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'usr_1')).toThrow();
    expect(() => new SecretBox(key).open(sealed, 'usr_2')).toThrow();
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() => new SecretBox(key).open(`${v}.${iv}.${flipped.toString('base64url')}`, 'usr_1')).toThrow();
    expect(() => new SecretBox(key).open('plain', 'usr_1')).toThrow('not a sealed secret');
  });

  it('parses a 32-byte key in base64, base64url or hex, and nothing shorter', () => {
    expect(parseSecretsKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretsKey(key.toString('base64url'))).toEqual(key);
    expect(parseSecretsKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretsKey(randomBytes(16).toString('base64'))).toBeNull();
    expect(() => new SecretBox(randomBytes(16))).toThrow();
  });
});
