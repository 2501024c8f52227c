import { Inject, Injectable } from '@nestjs/common';
import type { SimBlock, SimStatus } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

export interface BlockChange {
  iccid: string;
  accountId: string;
  status: SimStatus;
  blocks: SimBlock[];
}

/** System blocks of a SIM (array column `sims.blocks`): set semantics, the user status untouched. */
@Injectable()
export class SimBlocksRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Adds the block; null when the SIM is not the account's or already carries it (nothing changed). */
  async add(tx: SqlExecutor, accountId: string, iccid: string, block: SimBlock, at: Date): Promise<BlockChange | null> {
    const [row] = await tx.query<{ iccid: string; account_id: string; status: SimStatus; blocks: SimBlock[] }>(
      `update sims set blocks = array_append(blocks, $3::text), updated_at = $4
        where iccid = $2 and account_id = $1 and not ($3::text = any(blocks))
        returning iccid, account_id, status, blocks`,
      [accountId, iccid, block, at],
    );
    return row ? { iccid: row.iccid, accountId: row.account_id, status: row.status, blocks: row.blocks } : null;
  }

  /** Removes the block; null when the SIM does not carry it. */
  async remove(tx: SqlExecutor, accountId: string, iccid: string, block: SimBlock, at: Date): Promise<BlockChange | null> {
    const [row] = await tx.query<{ iccid: string; account_id: string; status: SimStatus; blocks: SimBlock[] }>(
      `update sims set blocks = array_remove(blocks, $3::text), updated_at = $4
        where iccid = $2 and account_id = $1 and $3::text = any(blocks)
        returning iccid, account_id, status, blocks`,
      [accountId, iccid, block, at],
    );
    return row ? { iccid: row.iccid, accountId: row.account_id, status: row.status, blocks: row.blocks } : null;
  }
}
