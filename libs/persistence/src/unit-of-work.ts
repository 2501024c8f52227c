import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { Database, type SqlExecutor } from './database.js';

/**
 * One transaction of the system of record that several parts of a use case write in, without passing it
 * through ports that must not know SQL (the telemetry store): the use case runs its work in a unit, and a
 * participant asks for the unit's transaction. Outside a unit, participants work on their own.
 */
@Injectable()
export class UnitOfWork {
  private readonly units = new AsyncLocalStorage<SqlExecutor>();

  constructor(@Inject(Database) readonly database: Database) {}

  /** Runs `work` in one transaction; participants called from it (however deep) write in it too. */
  run<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.database.transaction((tx) => this.units.run(tx, () => work(tx)));
  }

  /** The transaction of the unit this call runs in, or null outside one. */
  current(): SqlExecutor | null {
    return this.units.getStore() ?? null;
  }
}
