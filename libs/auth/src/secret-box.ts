import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) of the secrets the platform must read back (TOTP secrets,
 * webhook signing secrets), with the key from SECRETS_KEY. A sealed value is `v1.<iv>.<ciphertext+tag>`
 * (base64url); `context` (e.g. the owning row's id) is bound as associated data, so a sealed value copied
 * to another row does not open there.
 */
export class SecretBox {
  private static readonly VERSION = 'v1';

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SecretBox.VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Throws when the value was not sealed with this key and context (or was altered). */
  open(sealed: string, context = ''): string {
    const [version, iv, body] = sealed.split('.');
    if (version !== SecretBox.VERSION || !iv || !body) throw new Error('not a sealed secret');
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  }
}

/** Parses SECRETS_KEY: 32 bytes, as base64 / base64url (44 or 43 characters) or hex (64 characters). */
export function parseSecretsKey(text: string): Buffer | null {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, /[+/]/.test(trimmed) ? 'base64' : 'base64url');
  return bytes.length === 32 ? bytes : null;
}
