import { Inject, Injectable } from '@nestjs/common';
import {
  Clock,
  dataSessionOf,
  idempotentEvent,
  LAST_SEEN_RESOLUTION_MS,
  mergeDataSession,
  sameRatedFacts,
  sessionChanged,
  sessionEnded,
  sessionGrew,
  sessionKey,
  sessionStarted,
  type DataSession,
  type DomainEvent,
  type IngestBatch,
  type SessionChange,
  type TelemetryEnvelope,
} from '@simfleet/domain';
import { EventRepository, SimRepository, type SimTelemetryUpdate, UnitOfWork, UsageLedgerRepository } from '@simfleet/persistence';
import { lookupNetwork, TelemetryStore, type LocationPoint, type StatusPoint } from '@simfleet/telemetry';
import { AlertEvaluator } from '../alerts/alert-evaluator.js';
import { SessionRater } from './session-rater.js';

export interface IngestOptions {
  /**
   * The batch may have run before, in part: a retry after a failure or a worker's death, the replay of a
   * dead letter, a piece of a split batch. Stores then also remove what an interrupted run may have left.
   */
  redelivery?: boolean;
}

export interface IngestResult {
  sessions: number;
  locations: number;
  statuses: number;
}

type Sent<K extends TelemetryEnvelope['kind']> = Extract<TelemetryEnvelope, { kind: K }>;

const byKey = (a: DataSession, b: DataSession) => {
  const [x, y] = [sessionKey(a), sessionKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The sessions a batch reports, each once: its records folded in arrival order (counters are cumulative),
 * sorted by key so that concurrent batches lock ledger rows in the same order and never deadlock.
 */
function reportedSessions(records: ReadonlyArray<Sent<'session'>>): DataSession[] {
  const sessions = new Map<string, DataSession>();
  for (const sent of records) {
    const session = dataSessionOf(sent, lookupNetwork(sent.record.mcc, sent.record.mnc));
    const key = sessionKey(session);
    const known = sessions.get(key);
    sessions.set(key, known ? mergeDataSession(known, session) : session);
  }
  return [...sessions.values()].sort(byKey);
}

/** What the session's events carry: its totals as stored. */
const totals = (s: DataSession) => ({
  iccid: s.iccid,
  sessionId: s.sessionId,
  bytesUp: s.bytesUp,
  bytesDown: s.bytesDown,
  bytesTotal: s.bytesUp + s.bytesDown,
  mcc: s.mcc,
  mnc: s.mnc,
  network: s.network,
  country: s.country,
  rat: s.rat,
  startedAt: s.startedAt.toISOString(),
  endedAt: s.endedAt?.toISOString() ?? null,
});

/** session.started / updated / ended, with ids derived from the records: a batch run twice emits each once. */
function sessionEvents(changes: readonly SessionChange[]): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const change of changes) {
    const { accountId, iccid, sessionId, bytesUp, bytesDown, startedAt, endedAt, receivedAt } = change.after;
    if (sessionStarted(change)) events.push(idempotentEvent('session.started', accountId, iccid, totals(change.after), startedAt, sessionId));
    if (sessionGrew(change) && !endedAt)
      events.push(idempotentEvent('session.updated', accountId, iccid, totals(change.after), receivedAt, `${sessionId}/${bytesUp}/${bytesDown}`));
    if (sessionEnded(change)) events.push(idempotentEvent('session.ended', accountId, iccid, totals(change.after), endedAt!, sessionId));
  }
  return events;
}

/** What the batch tells of each SIM: last heard (the platform's reception time), network, radio, device, location. */
function simUpdates(sessions: readonly DataSession[], locations: ReadonlyArray<Sent<'location'>>, statuses: ReadonlyArray<Sent<'status'>>) {
  const updates = new Map<string, SimTelemetryUpdate>();
  const update = (iccid: string, receivedAt: Date): SimTelemetryUpdate => {
    const u = updates.get(iccid) ?? { iccid, lastSeenAt: receivedAt };
    if (receivedAt > u.lastSeenAt) u.lastSeenAt = receivedAt;
    updates.set(iccid, u);
    return u;
  };
  for (const s of sessions) {
    const u = update(s.iccid, s.receivedAt);
    Object.assign(u, { mcc: s.mcc, mnc: s.mnc, network: s.network, country: s.country, rat: s.rat });
    if (s.imei) u.imei = s.imei;
  }
  for (const { iccid, receivedAt, record } of locations) {
    const at = new Date(record.at);
    const u = update(iccid, new Date(receivedAt));
    if (!u.location || u.location.at < at) u.location = { lat: record.lat, lon: record.lon, accuracyM: record.accuracyM, source: record.source, at };
  }
  for (const { iccid, receivedAt, record } of statuses) {
    const u = update(iccid, new Date(receivedAt));
    Object.assign(u, { imei: record.imei, signalDbm: record.signalDbm ?? null, firmware: record.firmware ?? null });
  }
  return [...updates.values()];
}

/**
 * The worker's side of ingestion: one queued batch into the usage ledger, the telemetry store and the SIMs,
 * with its events and alert rules, in one transaction of the system of record. Running a batch twice (a
 * retry, a replayed dead letter) changes nothing the first run committed, and repairs what it left undone.
 */
@Injectable()
export class IngestTelemetry {
  constructor(
    @Inject(UnitOfWork) private readonly unit: UnitOfWork,
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
    @Inject(UsageLedgerRepository) private readonly ledger: UsageLedgerRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(SessionRater) private readonly rater: SessionRater,
    @Inject(AlertEvaluator) private readonly alerts: AlertEvaluator,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async execute(batch: IngestBatch, options: IngestOptions = {}): Promise<IngestResult> {
    const sent = { session: [] as Array<Sent<'session'>>, location: [] as Array<Sent<'location'>>, status: [] as Array<Sent<'status'>> };
    for (const envelope of batch.records) (sent[envelope.kind] as TelemetryEnvelope[]).push(envelope);
    const reported = reportedSessions(sent.session);
    const locations: LocationPoint[] = sent.location.map(({ accountId, iccid, record }) => ({
      accountId,
      iccid,
      at: new Date(record.at),
      lat: record.lat,
      lon: record.lon,
      accuracyM: record.accuracyM,
      source: record.source,
    }));
    const statuses: StatusPoint[] = sent.status.map(({ accountId, iccid, record }) => ({
      accountId,
      iccid,
      at: new Date(record.at),
      imei: record.imei,
      signalDbm: record.signalDbm ?? null,
      firmware: record.firmware ?? null,
    }));

    const alertEffects = await this.unit.run(async (tx) => {
      const stored = await this.ledger.lockSessions(tx, reported);
      const changes = reported.map((session) => this.fold(stored.get(sessionKey(session)) ?? null, session));
      await this.ledger.save(
        tx,
        changes.filter((c) => !c.before || sessionChanged(c.before, c.after)).map((c) => c.after),
        this.clock.now(),
      );
      // The batch's effect on each session is known here (`changes`; `bytesAdded` per change): what is kept per
      // batch alongside the ledger (e.g. usage rollups) is written at this point, in the same transaction.

      // Every session is written again, changed or not: a retry or a replay repairs a store an interrupted run left behind.
      await this.store.write({
        sessions: changes.map((c) => c.after),
        locations,
        statuses,
        superseded: options.redelivery ? reported.filter((s) => stored.has(sessionKey(s))) : undefined,
      });
      // Alert rules see the SIM as it was before this batch (previous IMEI, last location), and commit with it.
      const effects = await this.alerts.evaluate(tx, { sessions: changes, locations, statuses });
      await this.events.append(tx, [
        ...sessionEvents(changes),
        ...sent.location.map(({ accountId, iccid, record }) =>
          idempotentEvent('sim.location.updated', accountId, iccid, { iccid, ...record }, new Date(record.at), record.at),
        ),
      ]);
      // Last: every batch updates the rows of its SIMs, so concurrent batches wait on these locks; they are held
      // only until the commit that follows.
      await this.sims.applyTelemetry(tx, simUpdates(reported, sent.location, sent.status), LAST_SEEN_RESOLUTION_MS);
      return effects;
    });
    await this.alerts.afterCommit(alertEffects);
    return { sessions: reported.length, locations: locations.length, statuses: statuses.length };
  }

  /** The session after this batch: folded into what the ledger holds, and rated once, as it is stored. */
  private fold(before: DataSession | null, reported: DataSession): SessionChange {
    const after = before ? mergeDataSession(before, reported) : reported;
    return { before, after: { ...after, rating: before && sameRatedFacts(before, after) ? before.rating : this.rater.rate(after) } };
  }
}
