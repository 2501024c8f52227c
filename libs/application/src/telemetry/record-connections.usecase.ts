import { Inject, Injectable } from '@nestjs/common';
import { idempotentEvent, type DomainEvent, type ConnectionChange } from '@simfleet/domain';
import { Database, EventRepository, SimConnectionRepository, type ConnectionState } from '@simfleet/persistence';

/**
 * The worker's side of device connections: the connection log (online/offline since when, connects per
 * hour) and `sim.connected` / `sim.disconnected`. Event ids derive from the connection id, so a retried
 * job or changes seen out of order never duplicate anything.
 */
@Injectable()
export class RecordConnections {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SimConnectionRepository) private readonly connections: SimConnectionRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
  ) {}

  async execute(changes: ConnectionChange[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const events: DomainEvent[] = [];
      for (const change of changes) {
        if (change.kind === 'connected') {
          const at = new Date(change.at);
          await this.connections.opened(tx, { ...change, connectedAt: at });
          events.push(
            idempotentEvent(
              'sim.connected',
              change.accountId,
              change.iccid,
              { iccid: change.iccid, connectionId: change.connectionId, brokerId: change.brokerId, clientId: change.clientId },
              at,
              change.connectionId,
            ),
          );
        } else if (change.kind === 'disconnected') {
          const at = new Date(change.at);
          await this.connections.closed(tx, { ...change, connectedAt: new Date(change.connectedAt), disconnectedAt: at });
          events.push(disconnectedEvent(change.accountId, change.iccid, change.connectionId, change.brokerId, change.reason, change.detail, at));
        } else {
          const closed = await this.connections.closeOpenOfBroker(tx, change.brokerId, new Date(change.at), 'broker_restarted');
          for (const c of closed)
            events.push(disconnectedEvent(c.accountId, c.iccid, c.connectionId, c.brokerId, 'broker_restarted', null, c.disconnectedAt));
        }
      }
      await this.events.append(tx, events);
    });
  }

  connectionState(iccid: string): Promise<ConnectionState> {
    return this.connections.connectionState(iccid);
  }
}

function disconnectedEvent(
  accountId: string,
  iccid: string,
  connectionId: string,
  brokerId: string,
  reason: string,
  detail: string | null,
  at: Date,
): DomainEvent {
  return idempotentEvent('sim.disconnected', accountId, iccid, { iccid, connectionId, brokerId, reason, detail }, at, connectionId);
}
