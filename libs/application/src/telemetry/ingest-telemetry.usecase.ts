import { Inject, Injectable } from '@nestjs/common';
import { idempotentEvent, type DomainEvent } from '../../../domain/src/events/domain-event.js';
import type { IngestBatch, LocationRecord, SessionRecord, StatusRecord } from '../../../domain/src/telemetry/records.js';
import { Database } from '../../../persistence/src/database.js';
import { EventRepository } from '../../../persistence/src/repositories/event.repository.js';
import { SimRepository, type SimTelemetryUpdate } from '../../../persistence/src/repositories/sim.repository.js';
import { UsageLedgerRepository, type LedgerEntry } from '../../../persistence/src/repositories/usage-ledger.repository.js';
import { lookupNetwork } from '../../../telemetry/src/network-directory.js';
import { TelemetryStore, type LocationPoint, type SessionPoint, type StatusPoint } from '../../../telemetry/src/telemetry-store.js';
import { AlertEvaluator, ingestedRecords } from '../alerts/alert-evaluator.js';
import { SessionRater } from './session-rater.js';

interface SessionInput {
  accountId: string;
  iccid: string;
  receivedAt: string;
  record: SessionRecord;
}

const sessionKey = (iccid: string, sessionId: string) => `${iccid}\u0000${sessionId}`;
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Collapses the records of one batch per (SIM, session): counters are cumulative, so the largest wins,
 * and an end once seen stays. The ledger upsert can then touch each row once.
 */
function latestPerSession(inputs: SessionInput[]): SessionInput[] {
  const latest = new Map<string, SessionInput>();
  for (const input of inputs) {
    const key = sessionKey(input.iccid, input.record.sessionId);
    const seen = latest.get(key);
    if (!seen) {
      latest.set(key, input);
      continue;
    }
    latest.set(key, {
      ...seen,
      record: {
        ...seen.record,
        bytesUp: Math.max(seen.record.bytesUp, input.record.bytesUp),
        bytesDown: Math.max(seen.record.bytesDown, input.record.bytesDown),
        endedAt: seen.record.endedAt ?? input.record.endedAt,
        imei: input.record.imei ?? seen.record.imei,
      },
    });
  }
  return [...latest.values()];
}

/**
 * The worker's side of ingestion: writes one queued batch to the telemetry store, the usage ledger and
 * the SIMs, and emits the events, so that retrying the whole batch never counts anything twice.
 */
@Injectable()
export class IngestTelemetry {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
    @Inject(UsageLedgerRepository) private readonly ledger: UsageLedgerRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(SessionRater) private readonly rater: SessionRater,
    @Inject(AlertEvaluator) private readonly alerts: AlertEvaluator,
  ) {}

  async execute(batch: IngestBatch): Promise<{ sessions: number; locations: number; statuses: number }> {
    const sessionInputs: SessionInput[] = [];
    const locations: Array<{ accountId: string; iccid: string; receivedAt: string; record: LocationRecord }> = [];
    const statuses: Array<{ accountId: string; iccid: string; receivedAt: string; record: StatusRecord }> = [];
    for (const envelope of batch.records) {
      if (envelope.kind === 'session') sessionInputs.push(envelope);
      else if (envelope.kind === 'location') locations.push(envelope);
      else statuses.push(envelope);
    }
    // Sorted by key: concurrent batches then lock ledger rows in the same order and never deadlock.
    const sessions = latestPerSession(sessionInputs).sort((a, b) => compareKeys(sessionKey(a.iccid, a.record.sessionId), sessionKey(b.iccid, b.record.sessionId)));

    // A session keeps the network and start it was first seen with: that is its series key in the store.
    const known = new Map(
      (await this.ledger.find(this.db, sessions.map((s) => ({ iccid: s.iccid, sessionId: s.record.sessionId })))).map((e) => [sessionKey(e.iccid, e.sessionId), e]),
    );
    const entries: LedgerEntry[] = sessions.map(({ accountId, iccid, record }) => {
      const first = known.get(sessionKey(iccid, record.sessionId));
      const mcc = first?.mcc ?? record.mcc;
      const mnc = first?.mnc ?? record.mnc;
      const network = lookupNetwork(mcc, mnc);
      const startedAt = first?.startedAt ?? new Date(record.startedAt);
      const bytesUp = Math.max(record.bytesUp, first?.bytesUp ?? 0);
      const bytesDown = Math.max(record.bytesDown, first?.bytesDown ?? 0);
      const rating = this.rater.rate(accountId, { iccid, sessionId: record.sessionId, startedAt, bytesUp, bytesDown, mcc, mnc, country: network.country });
      return {
        iccid,
        sessionId: record.sessionId,
        accountId,
        startedAt,
        endedAt: first?.endedAt ?? (record.endedAt ? new Date(record.endedAt) : null),
        bytesUp,
        bytesDown,
        mcc,
        mnc,
        country: network.country,
        network: first?.network ?? record.network ?? network.name,
        rat: first?.rat ?? record.rat,
        zone: rating?.zone ?? null,
        amount: rating?.amount ?? null,
        currency: rating?.currency ?? null,
      };
    });

    const sessionPoints: SessionPoint[] = entries.map((e, i) => ({
      accountId: e.accountId,
      iccid: e.iccid,
      sessionId: e.sessionId,
      startedAt: e.startedAt,
      endedAt: e.endedAt,
      bytesUp: e.bytesUp,
      bytesDown: e.bytesDown,
      mcc: e.mcc,
      mnc: e.mnc,
      network: e.network,
      country: e.country,
      rat: e.rat,
      cellId: sessions[i].record.cellId === undefined ? null : String(sessions[i].record.cellId),
    }));
    const locationPoints: LocationPoint[] = locations.map(({ accountId, iccid, record }) => ({
      accountId,
      iccid,
      at: new Date(record.at),
      lat: record.lat,
      lon: record.lon,
      accuracyM: record.accuracyM,
      source: record.source,
    }));
    const statusPoints: StatusPoint[] = statuses.map(({ accountId, iccid, record }) => ({
      accountId,
      iccid,
      at: new Date(record.at),
      imei: record.imei,
      signalDbm: record.signalDbm ?? null,
      firmware: record.firmware ?? null,
    }));

    // The store first: it is idempotent and emits nothing, so a failure here retries cleanly.
    await this.store.write({ sessions: sessionPoints, locations: locationPoints, statuses: statusPoints });

    const alertEffects = await this.db.transaction(async (tx) => {
      const results = await this.ledger.upsert(tx, entries);
      const events: DomainEvent[] = [];
      const byKey = new Map(entries.map((e) => [sessionKey(e.iccid, e.sessionId), e]));
      const receivedAtOf = new Map(sessions.map((s) => [sessionKey(s.iccid, s.record.sessionId), s.receivedAt]));
      for (const result of results) {
        const entry = byKey.get(sessionKey(result.iccid, result.sessionId))!;
        const totals = { iccid: entry.iccid, sessionId: entry.sessionId, bytesUp: entry.bytesUp, bytesDown: entry.bytesDown, bytesTotal: entry.bytesUp + entry.bytesDown, mcc: entry.mcc, mnc: entry.mnc, network: entry.network, country: entry.country, rat: entry.rat, startedAt: entry.startedAt.toISOString(), endedAt: entry.endedAt?.toISOString() ?? null };
        const { accountId, iccid, sessionId } = entry;
        const counters = `${entry.bytesUp}/${entry.bytesDown}`;
        if (result.inserted) events.push(idempotentEvent('session.started', accountId, iccid, totals, entry.startedAt, sessionId));
        const grew = !result.inserted && (entry.bytesUp > (result.previousBytesUp ?? 0) || entry.bytesDown > (result.previousBytesDown ?? 0));
        if (grew && !entry.endedAt) events.push(idempotentEvent('session.updated', accountId, iccid, totals, new Date(receivedAtOf.get(sessionKey(iccid, sessionId))!), `${sessionId}/${counters}`));
        if (entry.endedAt && !result.previousEndedAt) events.push(idempotentEvent('session.ended', accountId, iccid, totals, entry.endedAt, sessionId));
      }

      const updates = new Map<string, SimTelemetryUpdate>();
      const update = (iccid: string, at: Date): SimTelemetryUpdate => {
        const u = updates.get(iccid) ?? { iccid, lastSeenAt: at };
        if (at > u.lastSeenAt) u.lastSeenAt = at;
        updates.set(iccid, u);
        return u;
      };
      // Last seen is when the platform last heard from the device, whatever time its records describe.
      for (const { iccid, receivedAt, record } of sessions) {
        const u = update(iccid, new Date(receivedAt));
        const network = lookupNetwork(record.mcc, record.mnc);
        Object.assign(u, { mcc: record.mcc, mnc: record.mnc, network: record.network ?? network.name, country: network.country, rat: record.rat });
        if (record.imei) u.imei = record.imei;
      }
      for (const { accountId, iccid, receivedAt, record } of locations) {
        const at = new Date(record.at);
        const u = update(iccid, new Date(receivedAt));
        if (!u.location || u.location.at < at) u.location = { lat: record.lat, lon: record.lon, accuracyM: record.accuracyM, source: record.source, at };
        events.push(idempotentEvent('sim.location.updated', accountId, iccid, { iccid, ...record }, at, record.at));
      }
      for (const { iccid, receivedAt, record } of statuses) {
        const u = update(iccid, new Date(receivedAt));
        Object.assign(u, { imei: record.imei, signalDbm: record.signalDbm ?? null, firmware: record.firmware ?? null });
      }
      // Alert rules see the SIM as it was before this batch (previous IMEI, last location), and commit with it.
      const effects = await this.alerts.evaluate(tx, ingestedRecords(entries, results, sessions, locations, statuses));
      await this.events.append(tx, events);
      // Last: every batch updates the rows of its SIMs, so concurrent batches wait on these locks; they are held
      // only until the commit that follows.
      await this.sims.applyTelemetry(tx, [...updates.values()]);
      return effects;
    });
    await this.alerts.afterCommit(alertEffects);
    return { sessions: sessions.length, locations: locations.length, statuses: statuses.length };
  }
}
