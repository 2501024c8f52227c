import { Inject, Injectable } from '@nestjs/common';
import {
  Clock,
  idempotentEvent,
  type DomainEvent,
  LAST_SEEN_RESOLUTION_MS,
  type IngestBatch,
  type LocationRecord,
  type SessionRecord,
  type StatusRecord,
} from '@simfleet/domain';
import {
  Database,
  EventRepository,
  SimRepository,
  type SimTelemetryUpdate,
  UsageLedgerRepository,
  UsageRollupsRepository,
  type LedgerEntry,
} from '@simfleet/persistence';
import { lookupNetwork, TelemetryStore, type LocationPoint, type SessionPoint, type StatusPoint } from '@simfleet/telemetry';
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

/** Whether the stored row holds what was rated before the upsert: then its amount is already right. */
const sameRatedFacts = (stored: LedgerEntry, rated: LedgerEntry) =>
  stored.mcc === rated.mcc &&
  stored.mnc === rated.mnc &&
  stored.startedAt.getTime() === rated.startedAt.getTime() &&
  stored.bytesUp === rated.bytesUp &&
  stored.bytesDown === rated.bytesDown;

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
    @Inject(UsageRollupsRepository) private readonly rollups: UsageRollupsRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(SessionRater) private readonly rater: SessionRater,
    @Inject(AlertEvaluator) private readonly alerts: AlertEvaluator,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  private rating(e: LedgerEntry): Pick<LedgerEntry, 'zone' | 'amount' | 'currency'> {
    const rating = this.rater.rate(e.accountId, e);
    return { zone: rating?.zone ?? null, amount: rating?.amount ?? null, currency: rating?.currency ?? null };
  }

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
    const sessions = latestPerSession(sessionInputs).sort((a, b) =>
      compareKeys(sessionKey(a.iccid, a.record.sessionId), sessionKey(b.iccid, b.record.sessionId)),
    );

    // Rated as the record says; the upsert keeps the start and network the session was first seen with
    // (its series key in the store) and the highest counters, and what differs is rated again below.
    const entries: LedgerEntry[] = sessions.map(({ accountId, iccid, record }) => {
      const network = lookupNetwork(record.mcc, record.mnc);
      const entry: LedgerEntry = {
        iccid,
        sessionId: record.sessionId,
        accountId,
        startedAt: new Date(record.startedAt),
        endedAt: record.endedAt ? new Date(record.endedAt) : null,
        bytesUp: record.bytesUp,
        bytesDown: record.bytesDown,
        mcc: record.mcc,
        mnc: record.mnc,
        country: network.country,
        network: record.network ?? network.name,
        rat: record.rat,
        zone: null,
        amount: null,
        currency: null,
      };
      return { ...entry, ...this.rating(entry) };
    });
    const cellIdOf = new Map(sessions.map((s) => [sessionKey(s.iccid, s.record.sessionId), s.record.cellId]));
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

    const alertEffects = await this.db.transaction(async (tx) => {
      const results = await this.ledger.upsert(tx, entries, this.clock.now());
      const rated = new Map(entries.map((e) => [sessionKey(e.iccid, e.sessionId), e]));
      const stored = results.map((r) => r.stored);
      await this.ledger.setRatings(
        tx,
        stored.filter((e) => !sameRatedFacts(e, rated.get(sessionKey(e.iccid, e.sessionId))!)).map((e) => ({ ...e, ...this.rating(e) })),
      );
      // What the ledger changed, into the daily rollups (issue 17): before any SIM row is locked below.
      await this.rollups.record(
        tx,
        results.filter((r) => r.inserted).map((r) => r.stored),
      );
      // Inside the transaction: a store failure rolls the whole batch back, and a retry rewrites the same
      // points (one series key + start per session), so nothing is counted twice either way.
      const sessionPoints: SessionPoint[] = stored.map((e) => {
        const cellId = cellIdOf.get(sessionKey(e.iccid, e.sessionId));
        const { zone: _zone, amount: _amount, currency: _currency, ...point } = e;
        return { ...point, cellId: cellId === undefined ? null : String(cellId) };
      });
      await this.store.write({ sessions: sessionPoints, locations: locationPoints, statuses: statusPoints }, tx);

      const events: DomainEvent[] = [];
      const receivedAtOf = new Map(sessions.map((s) => [sessionKey(s.iccid, s.record.sessionId), s.receivedAt]));
      for (const result of results) {
        const entry = result.stored;
        const totals = {
          iccid: entry.iccid,
          sessionId: entry.sessionId,
          bytesUp: entry.bytesUp,
          bytesDown: entry.bytesDown,
          bytesTotal: entry.bytesUp + entry.bytesDown,
          mcc: entry.mcc,
          mnc: entry.mnc,
          network: entry.network,
          country: entry.country,
          rat: entry.rat,
          startedAt: entry.startedAt.toISOString(),
          endedAt: entry.endedAt?.toISOString() ?? null,
        };
        const { accountId, iccid, sessionId } = entry;
        const counters = `${entry.bytesUp}/${entry.bytesDown}`;
        if (result.inserted) events.push(idempotentEvent('session.started', accountId, iccid, totals, entry.startedAt, sessionId));
        const grew = !result.inserted && (entry.bytesUp > (result.previousBytesUp ?? 0) || entry.bytesDown > (result.previousBytesDown ?? 0));
        if (grew && !entry.endedAt)
          events.push(
            idempotentEvent(
              'session.updated',
              accountId,
              iccid,
              totals,
              new Date(receivedAtOf.get(sessionKey(iccid, sessionId))!),
              `${sessionId}/${counters}`,
            ),
          );
        if (entry.endedAt && !result.previousEndedAt)
          events.push(idempotentEvent('session.ended', accountId, iccid, totals, entry.endedAt, sessionId));
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
        if (!u.location || u.location.at < at)
          u.location = { lat: record.lat, lon: record.lon, accuracyM: record.accuracyM, source: record.source, at };
        events.push(idempotentEvent('sim.location.updated', accountId, iccid, { iccid, ...record }, at, record.at));
      }
      for (const { iccid, receivedAt, record } of statuses) {
        const u = update(iccid, new Date(receivedAt));
        Object.assign(u, { imei: record.imei, signalDbm: record.signalDbm ?? null, firmware: record.firmware ?? null });
      }
      // Alert rules see the SIM as it was before this batch (previous IMEI, last location), and commit with it.
      const effects = await this.alerts.evaluate(tx, ingestedRecords(stored, results, sessions, locations, statuses));
      await this.events.append(tx, events);
      // Last: every batch updates the rows of its SIMs, so concurrent batches wait on these locks; they are held
      // only until the commit that follows.
      await this.sims.applyTelemetry(tx, [...updates.values()], LAST_SEEN_RESOLUTION_MS);
      return effects;
    });
    await this.alerts.afterCommit(alertEffects);
    return { sessions: sessions.length, locations: locations.length, statuses: statuses.length };
  }
}
