import { Inject, Injectable, Logger } from '@nestjs/common';
import { deviceSecretNeedsRehash, hashDeviceSecret, verifyDeviceSecret } from '@simfleet/auth';
import { SimLifecycle, type SimCredentials } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';

export type DeviceAuthResult =
  { ok: true; iccid: string; accountId: string } | { ok: false; reason: 'bad_credentials' | 'not_authorized'; detail: string };

/**
 * How a device names its SIM in the MQTT username: the ICCID, or `name@accountId`. A SIM name is unique
 * only within its account, so a bare name could match SIMs of several accounts, and another account
 * naming a SIM alike would change which one (or whether any) a device logs in as: it is not accepted.
 */
export function parseDeviceUsername(username: string): { iccid: string } | { accountId: string; name: string } | null {
  const at = username.lastIndexOf('@');
  if (at === -1) return /^\d{18,22}$/.test(username) ? { iccid: username } : null;
  const name = username.slice(0, at);
  const accountId = username.slice(at + 1);
  return name && accountId ? { accountId, name } : null;
}

/**
 * Checks a device's MQTT credentials: username = ICCID or `name@accountId`, password = device secret.
 * Only an active SIM without a system block may connect.
 */
@Injectable()
export class DeviceAuthenticator {
  private readonly logger = new Logger('DeviceAuthenticator');

  constructor(@Inject(SimRepository) private readonly sims: SimRepository) {}

  async authenticate(username: string | undefined, password: Buffer | undefined): Promise<DeviceAuthResult> {
    if (!username || !password?.length)
      return { ok: false, reason: 'bad_credentials', detail: 'username (ICCID, or SIM name@account id) and password (device secret) are required' };
    const ref = parseDeviceUsername(username);
    if (!ref) {
      return {
        ok: false,
        reason: 'bad_credentials',
        detail: 'the username is the ICCID, or the SIM name followed by @ and the account id (meter-7@acc_…)',
      };
    }
    const sim = await this.sims.findCredentials(ref);
    // A terminated SIM's credentials are destroyed: say why it may not connect rather than "bad credentials".
    if (sim?.status === 'terminated') return { ok: false, reason: 'not_authorized', detail: 'SIM is terminated' };
    if (!sim || !sim.secretHash) return { ok: false, reason: 'bad_credentials', detail: 'unknown SIM or no device credentials' };
    const secret = password.toString('utf8');
    if (!(await verifyDeviceSecret(secret, sim.secretHash))) return { ok: false, reason: 'bad_credentials', detail: 'wrong device secret' };
    if (deviceSecretNeedsRehash(sim.secretHash)) this.rehash(sim, secret);
    if (!SimLifecycle.mayConnect(sim.status, sim.blocks)) {
      return {
        ok: false,
        reason: 'not_authorized',
        detail: sim.blocks.length ? `SIM is blocked (${sim.blocks.join(', ')})` : `SIM is ${sim.status}`,
      };
    }
    return { ok: true, iccid: sim.iccid, accountId: sim.accountId };
  }

  /**
   * The SIM a persisted session or will belongs to, as it is now (account, may it still connect): a will
   * published after its broker died has no connection left to tell.
   */
  async simOf(iccid: string): Promise<{ iccid: string; accountId: string; mayConnect: boolean } | null> {
    const sim = await this.sims.findCredentials({ iccid });
    return sim ? { iccid: sim.iccid, accountId: sim.accountId, mayConnect: SimLifecycle.mayConnect(sim.status, sim.blocks) } : null;
  }

  /**
   * A secret stored by an earlier version (scrypt, ~45 ms per check) is stored again in the current form
   * once it verified, so that the next connects of the device cost microseconds. Only if the stored value
   * is still the one verified (a rotation in between wins); a failure leaves it for the next connect.
   */
  private rehash(sim: SimCredentials, secret: string): void {
    this.sims
      .replaceSecretHash(sim.iccid, sim.secretHash!, hashDeviceSecret(secret))
      .catch((error: unknown) => this.logger.warn(`could not store the device secret of ${sim.iccid} in its current form: ${String(error)}`));
  }
}
