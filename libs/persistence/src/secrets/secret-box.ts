import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'sb1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value could not be opened: unknown key (rotated away), another context, or tampered bytes. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Short, public identifier of a key: which key sealed a value (the key itself never leaves the process). */
const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

/**
 * Secrets at rest: AES-256-GCM with the platform key (SECRETS_KEY), one random 96-bit IV per value.
 *
 * A sealed value is text, `sb1.<key id>.<iv>.<ciphertext+tag>` (base64url parts): it fits a text column
 * and says which key sealed it. `context` is authenticated data: pass what the value belongs to
 * (`webhook_endpoints:whk_…:secret`), so that a value copied to another row or column does not open.
 *
 * Rotation: a box holds the current key, which seals, and previous keys, which still open. `isStale`
 * tells a value sealed with a previous key, to seal again with the current one (docs in the README).
 *
 * `derive(salt, info)` is a box whose keys are HKDF-SHA-256 of these keys: e.g. one per Idempotency-Key,
 * so that a stored response opens only with the key the client holds.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string;

  constructor(
    private readonly current: Buffer,
    private readonly previous: readonly Buffer[] = [],
  ) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) throw new Error(`a SecretBox key is ${KEY_BYTES} bytes, not ${key.length}`);
    }
    this.currentId = keyIdOf(current);
    this.keys = new Map([current, ...previous].map((key) => [keyIdOf(key), key]));
  }

  /** A new random key, e.g. for the embedded shape's generated key file. */
  static generateKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  /** The identifier of the key that seals (it appears in every value sealed now). */
  get keyId(): string {
    return this.currentId;
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.currentId, iv.toString('base64url'), sealed.toString('base64url')].join('.');
  }

  open(value: string, context = ''): string {
    const [version, keyId, iv, sealed] = value.split('.');
    if (version !== VERSION || !keyId || !iv || !sealed) throw new SecretBoxError('not a sealed value');
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError(`sealed with key ${keyId}, which is neither SECRETS_KEY nor one of SECRETS_KEY_PREVIOUS`);
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < TAG_BYTES) throw new SecretBoxError('not a sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed value does not open: altered, or sealed for another context');
    }
  }

  /** Whether `value` is sealed by this format (versus legacy clear text). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${VERSION}.`);
  }

  /** Sealed with a previous key (or not sealed at all): seal it again with the current one. */
  isStale(value: string): boolean {
    return !SecretBox.isSealed(value) || value.split('.')[1] !== this.currentId;
  }

  /** A box of keys derived from these (HKDF-SHA-256 with `salt` and `info`): the same inputs give the same box. */
  derive(salt: string, info: string): SecretBox {
    const derived = (key: Buffer) => Buffer.from(hkdfSync('sha256', key, Buffer.from(salt, 'utf8'), Buffer.from(info, 'utf8'), KEY_BYTES));
    return new SecretBox(derived(this.current), this.previous.map(derived));
  }
}
