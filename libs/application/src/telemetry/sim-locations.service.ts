import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type EndUserDeviceDeclaration, type LastLocation } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';
import { TelemetryStore, type LocationPoint } from '@simfleet/telemetry';
import { assertRange } from './usage-report.js';

export interface LocationFix {
  at: Date;
  lat: number;
  lon: number;
  accuracyM: number | null;
  source: string | null;
}

const fix = (p: LocationPoint): LocationFix => ({ at: p.at, lat: p.lat, lon: p.lon, accuracyM: p.accuracyM, source: p.source });

/** Cursor of a locations page: the event time of its last fix (fixes of a SIM are unique per instant). */
const encodeCursor = (at: Date) => Buffer.from(`loc:${at.getTime()}`).toString('base64url');
function decodeCursor(cursor: string): Date {
  const match = /^loc:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw DomainError.validation('the cursor is not one this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
  return new Date(Number(match[1]));
}

/**
 * A SIM's location history and last known location. Each answer carries the SIM's end-user-device
 * declaration: location data of a device used by a person is personal data, and callers must know.
 */
@Injectable()
export class SimLocations {
  constructor(
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
  ) {}

  async list(
    accountId: string,
    ref: string,
    from: Date,
    to: Date,
    limit: number,
    cursor?: string,
  ): Promise<{ iccid: string; endUserDevice: EndUserDeviceDeclaration; data: LocationFix[]; nextCursor: string | null }> {
    assertRange(from, to);
    const after = cursor ? decodeCursor(cursor) : undefined;
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    const points = await this.store.locations({ accountId, iccid: sim.iccid, from, to, limit: limit + 1, after });
    const page = points.slice(0, limit);
    return {
      iccid: sim.iccid,
      endUserDevice: sim.endUserDevice,
      data: page.map(fix),
      nextCursor: points.length > limit ? encodeCursor(page[page.length - 1].at) : null,
    };
  }

  /** The newest fix in event time, as the worker keeps it on the SIM. */
  async latest(accountId: string, ref: string): Promise<{ iccid: string; endUserDevice: EndUserDeviceDeclaration; location: LastLocation | null }> {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    return { iccid: sim.iccid, endUserDevice: sim.endUserDevice, location: sim.lastLocation };
  }
}
