import { createHmac } from 'node:crypto';

// RFC 6238 TOTP as an authenticator app computes it, written here from the RFC with node:crypto (not the
// platform's own code), so that the browser tests check the platform against an independent implementation.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Bytes(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30-second time step of an instant (RFC 6238, T0 = 0). */
export const timeStep = (ms: number, periodSeconds = 30): number => Math.floor(ms / 1000 / periodSeconds);

/** HOTP (RFC 4226) of a counter: HMAC-SHA1, dynamic truncation, `digits` decimal digits. */
export function hotpCode(secretBase32: string, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', base32Bytes(secretBase32)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * An authenticator that never shows the same time step twice (servers refuse a replayed step): the current
 * step, or the next one (within the one step of drift servers accept) when the current one was used already.
 */
export class Authenticator {
  private lastStep = -1;

  constructor(readonly secret: string) {}

  /** A code of a step not used yet; null when none is within the drift window (see `next`). */
  code(now = Date.now()): string | null {
    const step = Math.max(timeStep(now), this.lastStep + 1);
    if (step > timeStep(now) + 1) return null;
    this.lastStep = step;
    return hotpCode(this.secret, step);
  }

  /** A fresh code, waiting for the next 30-second step when the usable ones were used already. */
  async next(): Promise<string> {
    for (;;) {
      const code = this.code();
      if (code) return code;
      await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 50));
    }
  }
}
