import type { Sim } from '@simfleet/domain';
import { Inject, Injectable } from '@nestjs/common';
import type { LedgerSession } from '@simfleet/persistence';
import { RecordConnections } from './record-connections.usecase.js';

export type ConnectionStateName = 'online' | 'offline' | 'blocked';

export interface ConnectionState {
  state: ConnectionStateName;
  /** Since when the SIM is in this state, as far as the source knows; null when never seen. */
  since: Date | null;
  /** What the answer was derived from: `telemetry` (sessions and last seen) or the broker's connection log. */
  source: 'telemetry' | 'broker';
}

/**
 * Where a SIM's connection state comes from. The default derives it from telemetry; the broker's
 * connection log (connect/disconnect) can replace it by providing this token.
 */
export abstract class ConnectionStateSource {
  abstract stateOf(sim: Sim, sessions: { open: LedgerSession | null; last: LedgerSession | null }, now: Date): Promise<ConnectionState>;
}

/** A device that published nothing for this long is considered gone even if its session never ended. */
export const ONLINE_SILENCE_MS = 15 * 60_000;

/**
 * Derived from what telemetry tells: a SIM that may not connect is `blocked`; one with an open session it
 * reported on recently is `online` since that session started; otherwise `offline` since it was last heard.
 */
export class TelemetryConnectionState extends ConnectionStateSource {
  async stateOf(sim: Sim, { open, last }: { open: LedgerSession | null; last: LedgerSession | null }, now: Date): Promise<ConnectionState> {
    if (sim.status !== 'active' || sim.blocks.length) return { state: 'blocked', since: sim.updatedAt, source: 'telemetry' };
    const heard = sim.lastSeenAt;
    if (open && heard && now.getTime() - heard.getTime() <= ONLINE_SILENCE_MS) return { state: 'online', since: open.startedAt, source: 'telemetry' };
    const candidates = [heard, last?.endedAt ?? null].filter((d): d is Date => d !== null);
    const since = candidates.length ? new Date(Math.max(...candidates.map((d) => d.getTime()))) : null;
    return { state: 'offline', since, source: 'telemetry' };
  }
}

/**
 * From the broker's connection log (connect / disconnect of the device's MQTT connection): exact, and
 * independent of whether the device publishes. A SIM the log has never seen falls back to telemetry
 * (e.g. sessions reported before the log existed).
 */
@Injectable()
export class ConnectionLogState extends ConnectionStateSource {
  private readonly fallback = new TelemetryConnectionState();

  constructor(@Inject(RecordConnections) private readonly connections: RecordConnections) {
    super();
  }

  async stateOf(sim: Sim, sessions: { open: LedgerSession | null; last: LedgerSession | null }, now: Date): Promise<ConnectionState> {
    if (sim.status !== 'active' || sim.blocks.length) return { state: 'blocked', since: sim.updatedAt, source: 'broker' };
    const log = await this.connections.connectionState(sim.iccid);
    if (!log.since) return this.fallback.stateOf(sim, sessions, now);
    return { state: log.online ? 'online' : 'offline', since: log.since, source: 'broker' };
  }
}
