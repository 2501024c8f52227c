import { Inject, Injectable } from '@nestjs/common';
import { Clock, DomainError } from '@simfleet/domain';
import { SimRepository, TelemetryQueriesRepository, type LedgerSession } from '@simfleet/persistence';
import { ConnectionStateSource } from './connection-state.js';
import { IngestionErrors } from './ingestion-errors.usecase.js';

export type ImeiCheck = 'match' | 'mismatch' | 'unrestricted' | 'unknown';

const sessionView = (s: LedgerSession | null) => (s ? { ...s, bytesTotal: s.bytesUp + s.bytesDown } : null);

/** One page answering "why is my device not working": connection, sessions, radio, device, errors, location. */
@Injectable()
export class SimDiagnostics {
  constructor(
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(TelemetryQueriesRepository) private readonly queries: TelemetryQueriesRepository,
    @Inject(ConnectionStateSource) private readonly connection: ConnectionStateSource,
    @Inject(IngestionErrors) private readonly errors: IngestionErrors,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async diagnose(accountId: string, ref: string) {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    const sessions = await this.queries.openAndLastSession(sim.iccid);
    const [connection, recentErrors] = await Promise.all([this.connection.stateOf(sim, sessions, this.clock.now()), this.errors.recent(sim.iccid)]);
    // No list means any device may use the SIM; an unknown IMEI cannot be checked.
    const imeiCheck: ImeiCheck = !sim.authorizedImeis.length
      ? 'unrestricted'
      : !sim.imei
        ? 'unknown'
        : sim.authorizedImeis.includes(sim.imei)
          ? 'match'
          : 'mismatch';
    return {
      iccid: sim.iccid,
      name: sim.name,
      status: sim.status,
      blocks: sim.blocks,
      connection,
      lastSeenAt: sim.lastSeenAt,
      openSession: sessionView(sessions.open),
      lastSession: sessionView(sessions.last),
      network: sim.mcc && sim.mnc ? { mcc: sim.mcc, mnc: sim.mnc, name: sim.network, country: sim.country } : null,
      rat: sim.rat,
      signalDbm: sim.signalDbm,
      firmware: sim.firmware,
      imei: sim.imei,
      imeiCheck,
      authorizedImeis: sim.authorizedImeis,
      recentErrors,
      lastLocation: sim.lastLocation,
      endUserDevice: sim.endUserDevice,
    };
  }
}
