import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { verifyDeviceSecret } from '@simfleet/auth';
import { SimLifecycle } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';

export type DeviceAuthResult =
  { ok: true; iccid: string; accountId: string } | { ok: false; reason: 'bad_credentials' | 'not_authorized'; detail: string };

/**
 * Checks a device's MQTT credentials: username = ICCID or SIM name, password = device secret. Only an
 * active SIM without a system block may connect.
 */
@Injectable()
export class DeviceAuthenticator {
  // scrypt costs ~50 ms: a reconnect storm of the same devices reuses recent verifications.
  private readonly verified = new Map<string, number>();
  private static readonly VERIFIED_TTL_MS = 60_000;

  constructor(@Inject(SimRepository) private readonly sims: SimRepository) {}

  async authenticate(username: string | undefined, password: Buffer | undefined): Promise<DeviceAuthResult> {
    if (!username || !password?.length)
      return { ok: false, reason: 'bad_credentials', detail: 'username (ICCID) and password (device secret) are required' };
    const sim = await this.sims.findCredentials(username);
    // A terminated SIM's credentials are destroyed: say why it may not connect rather than "bad credentials".
    if (sim?.status === 'terminated') return { ok: false, reason: 'not_authorized', detail: 'SIM is terminated' };
    if (!sim || !sim.secretHash) return { ok: false, reason: 'bad_credentials', detail: 'unknown SIM or no device credentials' };
    const secret = password.toString('utf8');
    const cacheKey = createHash('sha256').update(`${sim.iccid}\u0000${sim.secretHash}\u0000${secret}`).digest('base64url');
    const now = Date.now();
    if ((this.verified.get(cacheKey) ?? 0) < now) {
      if (!(await verifyDeviceSecret(secret, sim.secretHash))) return { ok: false, reason: 'bad_credentials', detail: 'wrong device secret' };
      this.verified.set(cacheKey, now + DeviceAuthenticator.VERIFIED_TTL_MS);
      if (this.verified.size > 100_000) this.verified.clear();
    }
    if (!SimLifecycle.mayConnect(sim.status, sim.blocks)) {
      return {
        ok: false,
        reason: 'not_authorized',
        detail: sim.blocks.length ? `SIM is blocked (${sim.blocks.join(', ')})` : `SIM is ${sim.status}`,
      };
    }
    return { ok: true, iccid: sim.iccid, accountId: sim.accountId };
  }
}
