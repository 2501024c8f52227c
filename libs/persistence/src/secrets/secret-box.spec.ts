import { SecretBox, SecretBoxError } from './secret-box.js';

describe('SecretBox', () => {
  const key = SecretBox.generateKey();
  const box = new SecretBox(key);

  it('seals to text that holds nothing of the secret, and opens it again', () => {
    const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LW9mLWEtd2ViaG9vaw==';
    const sealed = box.seal(secret, 'webhook_endpoints:whk_1:secret');
    expect(sealed).toMatch(/^sb1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(box.open(sealed, 'webhook_endpoints:whk_1:secret')).toBe(secret);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(box.seal(secret, 'x')).not.toBe(box.seal(secret, 'x'));
  });

  it('refuses a value moved to another context, altered, or sealed with an unknown key', () => {
    const sealed = box.seal('s3cret', 'webhook_endpoints:whk_1:secret');
    expect(() => box.open(sealed, 'webhook_endpoints:whk_2:secret')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    const bytes = Buffer.from(parts[3], 'base64url');
    bytes[0] ^= 1;
    expect(() => box.open([...parts.slice(0, 3), bytes.toString('base64url')].join('.'), 'webhook_endpoints:whk_1:secret')).toThrow(SecretBoxError);
    expect(() => new SecretBox(SecretBox.generateKey()).open(sealed, 'webhook_endpoints:whk_1:secret')).toThrow(/neither SECRETS_KEY/);
    expect(() => box.open('not sealed')).toThrow(SecretBoxError);
  });

  it('rotates: the new key seals, the previous one still opens, and stale values are told apart', () => {
    const old = box.seal('s3cret', 'c');
    const rotated = new SecretBox(SecretBox.generateKey(), [key]);
    expect(rotated.open(old, 'c')).toBe('s3cret');
    expect(rotated.isStale(old)).toBe(true);
    const fresh = rotated.seal('s3cret', 'c');
    expect(rotated.isStale(fresh)).toBe(false);
    expect(rotated.isStale('whsec_in_clear')).toBe(true);
    expect(fresh.split('.')[1]).toBe(rotated.keyId);
  });

  it('derives per-purpose boxes: same inputs open, other inputs do not, rotation carries over', () => {
    const sealed = box.derive('idem-key-1', 'idempotency-response:account:acc_1').seal('{"key":"k"}', 'ctx');
    expect(box.derive('idem-key-1', 'idempotency-response:account:acc_1').open(sealed, 'ctx')).toBe('{"key":"k"}');
    expect(() => box.derive('idem-key-2', 'idempotency-response:account:acc_1').open(sealed, 'ctx')).toThrow(SecretBoxError);
    expect(() => box.derive('idem-key-1', 'idempotency-response:account:acc_2').open(sealed, 'ctx')).toThrow(SecretBoxError);
    const rotated = new SecretBox(SecretBox.generateKey(), [key]);
    expect(rotated.derive('idem-key-1', 'idempotency-response:account:acc_1').open(sealed, 'ctx')).toBe('{"key":"k"}');
  });

  it('takes 32-byte keys only', () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
