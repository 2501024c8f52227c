import { Inject, Injectable } from '@nestjs/common';
import { Clock, DomainError, domainEvent, type SimBlock } from '@simfleet/domain';
import { Database, type SqlExecutor, EventRepository, SimBlocksRepository, type BlockChange, SimRepository } from '@simfleet/persistence';
import { DeviceControl } from '../device-control/device-control.js';

/** Extra facts recorded with the block in `sim.blocked` / `sim.unblocked` (e.g. the alert that caused it). */
export type BlockContext = Record<string, unknown>;

/**
 * System blocks (`data_limit_exceeded`, `unauthorized_imei`): added and removed without touching the
 * user state, recorded in the SIM's history (actor `system`) and as events; a block drops the device's
 * connection and the broker refuses its reconnects while any block remains.
 */
@Injectable()
export class SimBlocksService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SimBlocksRepository) private readonly blocks: SimBlocksRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(DeviceControl) private readonly devices: DeviceControl,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Blocks the SIM and disconnects its device. False when it already carried the block. */
  async block(accountId: string, iccid: string, block: SimBlock, reason: string, context: BlockContext = {}): Promise<boolean> {
    const change = await this.db.transaction(async (tx) => {
      await this.requireSim(tx, accountId, iccid);
      return this.addInTransaction(tx, accountId, iccid, block, reason, this.clock.now(), context);
    });
    if (change) await this.disconnect(iccid);
    return change !== null;
  }

  /** Lifts the block (other blocks stay). False when the SIM did not carry it. */
  async unblock(accountId: string, iccid: string, block: SimBlock, reason: string, context: BlockContext = {}): Promise<boolean> {
    const change = await this.db.transaction(async (tx) => {
      await this.requireSim(tx, accountId, iccid);
      return this.removeInTransaction(tx, accountId, iccid, block, reason, this.clock.now(), context);
    });
    return change !== null;
  }

  /** The block, its history entry and `sim.blocked`, in the caller's transaction; disconnect after commit. */
  async addInTransaction(
    tx: SqlExecutor,
    accountId: string,
    iccid: string,
    block: SimBlock,
    reason: string,
    at: Date,
    context: BlockContext = {},
  ): Promise<BlockChange | null> {
    const change = await this.blocks.add(tx, accountId, iccid, block, at);
    if (change) await this.record(tx, change, 'block', block, reason, at, context);
    return change;
  }

  async removeInTransaction(
    tx: SqlExecutor,
    accountId: string,
    iccid: string,
    block: SimBlock,
    reason: string,
    at: Date,
    context: BlockContext = {},
  ): Promise<BlockChange | null> {
    const change = await this.blocks.remove(tx, accountId, iccid, block, at);
    if (change) await this.record(tx, change, 'unblock', block, reason, at, context);
    return change;
  }

  /** Drops the device's connection on every broker (the block is committed, so its reconnect is refused). */
  async disconnect(iccid: string): Promise<void> {
    await this.devices.disconnect(iccid, 'kicked_blocked');
  }

  private async requireSim(tx: SqlExecutor, accountId: string, iccid: string): Promise<void> {
    if (!(await this.sims.findByRef(accountId, iccid, tx, true))) throw DomainError.notFound('SIM', iccid);
  }

  private async record(
    tx: SqlExecutor,
    change: BlockChange,
    action: 'block' | 'unblock',
    block: SimBlock,
    reason: string,
    at: Date,
    context: BlockContext,
  ): Promise<void> {
    await this.sims.appendHistory(tx, {
      iccid: change.iccid,
      accountId: change.accountId,
      from: change.status,
      to: change.status,
      action,
      actor: 'system',
      reason,
      blocks: change.blocks,
      at,
    });
    const type = action === 'block' ? 'sim.blocked' : 'sim.unblocked';
    await this.events.append(tx, [
      domainEvent(
        type,
        change.accountId,
        change.iccid,
        { iccid: change.iccid, block, blocks: change.blocks, status: change.status, reason, actor: 'system', ...context },
        at,
      ),
    ]);
  }
}
