import { Inject, Injectable } from '@nestjs/common';
import { hashDeviceSecret } from '@simfleet/auth';
import {
  Clock,
  DomainError,
  ErrorCode,
  domainEvent,
  randomSecret,
  decodeSequenceCursor,
  encodeCursor,
  toPage,
  type Page,
  type Sim,
  type SimHistoryEntry,
  ACTION_EVENT,
  SimLifecycle,
  type SimAction,
  type KickReason,
  type SimStatus,
  type SimBlock,
} from '@simfleet/domain';
import { Database, EventRepository, SimRepository, type SqlExecutor } from '@simfleet/persistence';
import { DeviceControl } from '../device-control/device-control.js';

/** What a lifecycle action over many SIMs did: the SIMs changed, the ones refused (and why), who to disconnect. */
export interface SimActionsOutcome {
  succeeded: string[];
  failures: Array<{ iccid: string; reason: string }>;
  /** Devices that may no longer attach, by kick reason: disconnect them once the transaction committed. */
  disconnect: Map<KickReason, string[]>;
}

const kickReason = (status: SimStatus): KickReason =>
  status === 'active' ? 'kicked_blocked' : status === 'terminated' ? 'kicked_terminated' : 'kicked_suspended';

export interface SimActionResult {
  sim: Sim;
  /** The device secret, when this action issued one: shown once, stored only as a hash. */
  deviceSecret?: string;
}

@Injectable()
export class SimsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(DeviceControl) private readonly devices: DeviceControl,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async get(accountId: string, ref: string): Promise<Sim> {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    return sim;
  }

  async history(accountId: string, ref: string, limit: number, cursor?: string): Promise<Page<SimHistoryEntry>> {
    const sim = await this.get(accountId, ref);
    const after = cursor ? decodeSequenceCursor(cursor) : undefined;
    const rows = await this.sims.history(sim.iccid, limit + 1, after);
    const page = toPage(rows, limit, (h) => String(h.id));
    return { data: page.data, nextCursor: page.nextCursor ? encodeCursor(String(page.data[page.data.length - 1].id)) : null };
  }

  /**
   * Applies a lifecycle action: validates it against the state machine, records history and the event in
   * one transaction, then acts on the network (disconnects a device that may no longer attach).
   */
  async applyAction(accountId: string, ref: string, action: SimAction, actor: string, reason?: string): Promise<SimActionResult> {
    const now = this.clock.now();
    let deviceSecret: string | undefined;
    const sim = await this.db.transaction(async (tx) => {
      const current = await this.sims.findByRef(accountId, ref, tx, true);
      if (!current) throw DomainError.notFound('SIM', ref);
      const to = SimLifecycle.next(current.status, action, current.iccid);
      const changes: { secretHash?: string | null; firstActivatedAt?: Date } = {};
      if (action === 'activate') {
        changes.firstActivatedAt = now;
        if (!current.hasCredentials) {
          deviceSecret = randomSecret(24);
          changes.secretHash = hashDeviceSecret(deviceSecret);
        }
      }
      // Termination destroys the device credentials: a terminated SIM can never authenticate again.
      if (action === 'terminate') changes.secretHash = null;
      const updated = await this.sims.setStatus(tx, current.iccid, to, now, changes);
      await this.sims.appendHistory(tx, {
        iccid: current.iccid,
        accountId,
        from: current.status,
        to,
        action,
        actor,
        reason: reason ?? null,
        blocks: updated.blocks,
        at: now,
      });
      await this.events.append(tx, [
        domainEvent(
          ACTION_EVENT[action],
          accountId,
          current.iccid,
          { iccid: current.iccid, from: current.status, to, actor, reason: reason ?? null },
          now,
        ),
      ]);
      return updated;
    });
    if (!SimLifecycle.mayConnect(sim.status, sim.blocks)) await this.devices.disconnect(sim.iccid, kickReason(sim.status));
    return { sim, deviceSecret };
  }

  /**
   * The same action over many SIMs of the account, set-based in the caller's transaction (a bulk job's
   * chunk): each SIM is validated on its own exactly as `applyAction` validates it, and each one changed
   * gets its history row and its event. A SIM that is not the account's is refused as not found. The
   * caller disconnects `disconnect` after its commit (`disconnectAfterCommit`).
   */
  async applyActionToMany(
    tx: SqlExecutor,
    accountId: string,
    iccids: readonly string[],
    action: SimAction,
    actor: string,
    reason?: string,
  ): Promise<SimActionsOutcome> {
    const now = this.clock.now();
    const current = new Map((await this.sims.lockForLifecycle(tx, accountId, iccids)).map((sim) => [sim.iccid, sim]));
    const failures: SimActionsOutcome['failures'] = [];
    const changes: Array<{ iccid: string; from: SimStatus; status: SimStatus; secretHash?: string | null; firstActivatedAt?: Date }> = [];
    for (const iccid of iccids) {
      const sim = current.get(iccid);
      if (!sim) {
        failures.push({ iccid, reason: 'not found' });
        continue;
      }
      try {
        changes.push({ iccid, from: sim.status, status: SimLifecycle.next(sim.status, action, iccid) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        failures.push({ iccid, reason: error.message });
      }
    }
    if (action === 'activate') {
      // As applyAction does: a first activation issues a device secret (nobody sees it: rotate it before use).
      for (const change of changes) {
        change.firstActivatedAt = now;
        if (!current.get(change.iccid)?.hasCredentials) change.secretHash = hashDeviceSecret(randomSecret(24));
      }
    }
    if (action === 'terminate') for (const change of changes) change.secretHash = null;
    const blocks = await this.sims.setStatuses(tx, changes, now);
    await this.sims.appendHistoryMany(
      tx,
      changes.map((c) => ({
        iccid: c.iccid,
        accountId,
        from: c.from,
        to: c.status,
        action,
        actor,
        reason: reason ?? null,
        blocks: blocks.get(c.iccid) ?? [],
        at: now,
      })),
    );
    await this.events.append(
      tx,
      changes.map((c) =>
        domainEvent(ACTION_EVENT[action], accountId, c.iccid, { iccid: c.iccid, from: c.from, to: c.status, actor, reason: reason ?? null }, now),
      ),
    );
    const disconnect = new Map<KickReason, string[]>();
    for (const c of changes) {
      const simBlocks: SimBlock[] = blocks.get(c.iccid) ?? [];
      if (SimLifecycle.mayConnect(c.status, simBlocks)) continue;
      const kick = kickReason(c.status);
      const kicked = disconnect.get(kick) ?? [];
      kicked.push(c.iccid);
      disconnect.set(kick, kicked);
    }
    return { succeeded: changes.map((c) => c.iccid), failures, disconnect };
  }

  /** Disconnects what `applyActionToMany` said, once its transaction committed. */
  async disconnectAfterCommit(outcome: SimActionsOutcome): Promise<void> {
    // One order per reason for the whole chunk, not one per SIM.
    for (const [reason, iccids] of outcome.disconnect) await this.devices.disconnectMany(iccids, reason);
  }

  /** Issues a new device secret (the old one stops working at once) and returns it once. */
  async rotateCredentials(accountId: string, ref: string, actor: string): Promise<{ iccid: string; secret: string }> {
    const now = this.clock.now();
    const secret = randomSecret(24);
    const secretHash = hashDeviceSecret(secret);
    const iccid = await this.db.transaction(async (tx) => {
      const sim = await this.sims.findByRef(accountId, ref, tx, true);
      if (!sim) throw DomainError.notFound('SIM', ref);
      if (sim.status === 'terminated') {
        throw new DomainError(ErrorCode.InvalidTransition, `SIM ${sim.iccid} is terminated: its device credentials are destroyed for good`, {
          iccid: sim.iccid,
          currentStatus: sim.status,
          allowedActions: [],
        });
      }
      await this.sims.setSecretHash(tx, sim.iccid, secretHash, now);
      await this.events.append(tx, [domainEvent('sim.credentials.rotated', accountId, sim.iccid, { iccid: sim.iccid, actor }, now)]);
      return sim.iccid;
    });
    await this.devices.disconnect(iccid, 'kicked_credentials_rotated');
    return { iccid, secret };
  }
}
