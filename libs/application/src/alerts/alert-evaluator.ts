import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  RECORD_DRIVEN,
  ruleApplies,
  type AlertRule,
  type AlertRuleType,
  type RuleParams,
  type Alert,
  foldSample,
  isSpike,
  assessDataLimit,
  dataLimitDecision,
  effectiveLimit,
  stageSeverity,
  impliedSpeedKmh,
  insideFence,
  type Fence,
  type Fix,
  periodWindow,
  utcDay,
  type UsagePeriod,
  Clock,
  type SimBlock,
  type LocationRecord,
  type StatusRecord,
} from '@simfleet/domain';
import {
  type SqlExecutor,
  AlertEvaluationRepository,
  type SimFacts,
  type StoredBaselines,
  AlertRepository,
  type LedgerEntry,
  type LedgerUpsertResult,
} from '@simfleet/persistence';
import { SimBlocksService } from '../sims/sim-blocks.service.js';
import { AlertRuleCache } from './alert-rule-cache.js';
import { AlertEffects, AlertWriter } from './alert-writer.js';

/** A session as the ingestion transaction just stored it (cumulative counters, after the ledger upsert). */
export interface IngestedSession {
  accountId: string;
  iccid: string;
  sessionId: string;
  startedAt: Date;
  bytesTotal: number;
  country: string | null;
  imei: string | null;
  /** First record of this session. */
  started: boolean;
  /** This batch carried the session's end for the first time. */
  ended: boolean;
  receivedAt: Date;
}

export interface IngestedLocation {
  accountId: string;
  iccid: string;
  lat: number;
  lon: number;
  accuracyM: number | null;
  at: Date;
}

export interface IngestedStatus {
  accountId: string;
  iccid: string;
  imei: string;
  at: Date;
}

export interface IngestedRecords {
  sessions: IngestedSession[];
  locations: IngestedLocation[];
  statuses: IngestedStatus[];
}

interface SimBatch {
  facts: SimFacts;
  rules: AlertRule[];
  sessions: IngestedSession[];
  locations: IngestedLocation[];
  statuses: IngestedStatus[];
}

const rulesOf = <T extends AlertRuleType>(rules: AlertRule[], type: T) => rules.filter((r): r is AlertRule<T> => r.type === type);

/**
 * Evaluates the record-driven rules on one ingested batch, inside the ingestion transaction (so alerts,
 * blocks and their events commit with the records that caused them). An account without rules costs
 * no query: its rules come from a short-lived cache.
 */
@Injectable()
export class AlertEvaluator {
  private readonly logger = new Logger('AlertEvaluator');

  constructor(
    @Inject(AlertRuleCache) private readonly cache: AlertRuleCache,
    @Inject(AlertEvaluationRepository) private readonly state: AlertEvaluationRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
    @Inject(AlertWriter) private readonly writer: AlertWriter,
    @Inject(SimBlocksService) private readonly blocks: SimBlocksService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async evaluate(tx: SqlExecutor, records: IngestedRecords): Promise<AlertEffects> {
    const effects = new AlertEffects();
    const accountIds = new Set<string>();
    for (const list of [records.sessions, records.locations, records.statuses]) for (const r of list) accountIds.add(r.accountId);
    const rulesByAccount = new Map<string, AlertRule[]>();
    for (const accountId of accountIds) {
      const rules = (await this.cache.enabledRules(accountId, tx)).filter((r) => RECORD_DRIVEN.has(r.type) || r.type === 'silent');
      if (rules.length) rulesByAccount.set(accountId, rules);
    }
    if (!rulesByAccount.size) return effects;

    const batches = new Map<string, SimBatch>();
    const iccids = new Set<string>();
    for (const list of [records.sessions, records.locations, records.statuses])
      for (const r of list) if (rulesByAccount.has(r.accountId)) iccids.add(r.iccid);
    for (const facts of await this.state.lockSimFacts(tx, [...iccids])) {
      const rules = (rulesByAccount.get(facts.accountId) ?? []).filter((r) => ruleApplies(r, facts));
      if (rules.length) batches.set(facts.iccid, { facts, rules, sessions: [], locations: [], statuses: [] });
    }
    if (!batches.size) return effects;
    for (const s of records.sessions) batches.get(s.iccid)?.sessions.push(s);
    for (const l of records.locations) batches.get(l.iccid)?.locations.push(l);
    for (const s of records.statuses) batches.get(s.iccid)?.statuses.push(s);

    const now = this.clock.now();
    const sims = [...batches.values()];
    await this.dataLimits(tx, sims, now, effects);
    await this.usageSpikes(tx, sims, now, effects);
    for (const sim of sims) {
      await this.imeiChanges(tx, sim, now, effects);
      await this.travel(tx, sim, effects);
      await this.geofences(tx, sim, effects);
      await this.newCountries(tx, sim, effects);
    }
    await this.clearSilent(tx, sims, now);
    return effects;
  }

  /** After the commit: cut off the devices this batch blocked (the broker then refuses their reconnects). */
  async afterCommit(effects: AlertEffects): Promise<void> {
    for (const iccid of effects.disconnect) await this.blocks.disconnect(iccid);
  }

  // --- data_usage_limit: in-session, on every session record that moved the counters ---------------------

  private async dataLimits(tx: SqlExecutor, sims: SimBatch[], now: Date, effects: AlertEffects): Promise<void> {
    const watched = sims.filter((s) => s.sessions.length && s.rules.some((r) => r.type === 'data_usage_limit'));
    if (!watched.length) return;
    const usage = await this.periodUsage(
      tx,
      watched.map((s) => ({ iccid: s.facts.iccid, periods: rulesOf(s.rules, 'data_usage_limit').map((r) => r.params.period) })),
      now,
    );
    for (const sim of watched) {
      for (const rule of rulesOf(sim.rules, 'data_usage_limit')) {
        await this.applyDataLimit(tx, rule, sim.facts, usage.get(`${rule.params.period}:${sim.facts.iccid}`) ?? 0, now, effects, null);
      }
    }
  }

  /** Usage of the current day and/or month per SIM, keyed `period:iccid`. */
  async periodUsage(tx: SqlExecutor, sims: Array<{ iccid: string; periods: UsagePeriod[] }>, now: Date): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const period of ['day', 'month'] as const) {
      const iccids = sims.filter((s) => s.periods.includes(period)).map((s) => s.iccid);
      if (!iccids.length) continue;
      const window = periodWindow(period, now);
      for (const [iccid, bytes] of await this.state.usageSince(tx, iccids, window.start, window.end)) result.set(`${period}:${iccid}`, bytes);
    }
    return result;
  }

  /**
   * Raises (warning or limit stage) or clears one data-limit rule for one SIM. `known` is the SIM's open
   * alert of the rule when the caller already holds it (reassessment), else it is looked up.
   */
  async applyDataLimit(
    tx: SqlExecutor,
    rule: AlertRule<'data_usage_limit'>,
    sim: SimFacts,
    usageBytes: number,
    now: Date,
    effects: AlertEffects,
    known: Alert | null,
    reassessOnly = false,
  ): Promise<boolean> {
    const open = known ?? (await this.alerts.findOpen(tx, rule.id, sim.iccid));
    const limit = effectiveLimit(rule.params, sim.monthlyLimit);
    if (!limit) {
      if (open) await this.writer.resolve(tx, open, 'system', 'no_limit', now);
      return open !== null;
    }
    const assessment = assessDataLimit(rule.params, limit, usageBytes, now);
    // A new period began, or the limit was raised above the stage the alert was raised at: the alert's
    // condition cleared (and with it the block it placed). A reassessment only clears: the next session
    // record raises again if need be.
    const decision = dataLimitDecision(open ? { level: open.level, periodStart: open.details.periodStart } : null, assessment, reassessOnly);
    if (open && decision.resolve) await this.writer.resolve(tx, open, 'system', decision.resolve, now);
    const cleared = decision.resolve !== null;
    if (!decision.raise) return cleared;
    await this.writer.raise(
      tx,
      {
        rule,
        iccid: sim.iccid,
        severity: stageSeverity(assessment.level, rule.severity),
        level: assessment.level,
        details: { ...assessment },
        block: assessment.level === 2 && rule.action === 'block' ? 'data_limit_exceeded' : null,
        at: now,
      },
      effects,
    );
    return cleared;
  }

  // --- usage_spike: the SIM's own EWMA baselines ---------------------------------------------------------

  private async usageSpikes(tx: SqlExecutor, sims: SimBatch[], now: Date, effects: AlertEffects): Promise<void> {
    const watched = sims.filter((s) => s.sessions.length && s.rules.some((r) => r.type === 'usage_spike'));
    if (!watched.length) return;
    const baselines = await this.state.lockBaselines(
      tx,
      watched.map((s) => ({ iccid: s.facts.iccid, accountId: s.facts.accountId })),
    );
    const today = utcDay(now);
    const dayWindow = periodWindow('day', now);
    const perDay = watched.filter((s) => rulesOf(s.rules, 'usage_spike').some((r) => r.params.per === 'day')).map((s) => s.facts.iccid);
    const todayBytes = await this.state.usageSince(tx, perDay, dayWindow.start, dayWindow.end);
    for (const sim of watched) {
      let b: StoredBaselines = baselines.get(sim.facts.iccid)!;
      const rules = rulesOf(sim.rules, 'usage_spike');
      // A day's traffic joins the day baseline once the day is over (at the SIM's first session of a later day).
      if (b.currentDay !== today) {
        if (b.currentDay !== null) {
          const start = new Date(`${b.currentDay}T00:00:00.000Z`);
          const closed = await this.state.usageSince(tx, [sim.facts.iccid], start, periodWindow('day', start).end);
          b = { ...b, day: foldSample(b.day, closed.get(sim.facts.iccid) ?? 0) };
        }
        b = { ...b, currentDay: today };
      }
      for (const session of sim.sessions) {
        for (const rule of rules.filter((r) => r.params.per === 'session')) {
          if (isSpike(b.session, session.bytesTotal, rule.params.factor, rule.params.minHistory)) {
            await this.raiseSpike(
              tx,
              rule,
              sim,
              { per: 'session', sessionId: session.sessionId, bytes: session.bytesTotal },
              b.session,
              now,
              effects,
            );
          }
        }
        // A session joins its SIM's baseline once, when it ends.
        if (session.ended) b = { ...b, session: foldSample(b.session, session.bytesTotal) };
      }
      const dayBytes = todayBytes.get(sim.facts.iccid) ?? 0;
      for (const rule of rules.filter((r) => r.params.per === 'day')) {
        if (isSpike(b.day, dayBytes, rule.params.factor, rule.params.minHistory)) {
          await this.raiseSpike(tx, rule, sim, { per: 'day', day: today, bytes: dayBytes }, b.day, now, effects);
        }
      }
      await this.state.saveBaselines(tx, b, now);
    }
  }

  private async raiseSpike(
    tx: SqlExecutor,
    rule: AlertRule<'usage_spike'>,
    sim: SimBatch,
    what: Record<string, unknown>,
    baseline: { mean: number | null; samples: number },
    now: Date,
    effects: AlertEffects,
  ): Promise<void> {
    await this.raiseFor(
      tx,
      rule,
      sim,
      now,
      { ...what, baselineBytes: Math.round(baseline.mean ?? 0), baselineSamples: baseline.samples, factor: rule.params.factor },
      effects,
    );
  }

  /** Raises (or repeats) a rule's single-stage alert for the SIM at its rule's severity. */
  private raiseFor(
    tx: SqlExecutor,
    rule: AlertRule,
    sim: SimBatch,
    at: Date,
    details: Record<string, unknown>,
    effects: AlertEffects,
    block: SimBlock | null = null,
  ): Promise<Alert> {
    return this.writer.raise(tx, { rule, iccid: sim.facts.iccid, severity: rule.severity, level: 0, block, at, details }, effects);
  }

  // --- imei_change: the device's IMEI against the authorized ones, else the last seen -------------------

  private async imeiChanges(tx: SqlExecutor, sim: SimBatch, now: Date, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'imei_change');
    if (!rules.length) return;
    const seen = [
      ...sim.sessions.filter((s) => s.imei).map((s) => ({ imei: s.imei!, at: s.receivedAt })),
      ...sim.statuses.map((s) => ({ imei: s.imei, at: s.at })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    if (!seen.length) return;
    const authorized = sim.facts.authorizedImeis;
    let previous = sim.facts.imei;
    for (const { imei, at } of seen) {
      const unauthorized = authorized.length ? !authorized.includes(imei) : previous !== null && imei !== previous;
      for (const rule of rules) {
        if (unauthorized) {
          const details = { imei, previousImei: previous, authorizedImeis: authorized, seenAt: at.toISOString() };
          await this.raiseFor(tx, rule, sim, now, details, effects, rule.action === 'block' ? 'unauthorized_imei' : null);
        } else if (authorized.includes(imei)) {
          const open = await this.alerts.findOpen(tx, rule.id, sim.facts.iccid);
          if (open) await this.writer.resolve(tx, open, 'system', 'authorized_imei', now);
        }
      }
      previous = imei;
    }
  }

  // --- impossible_travel and geofence: location records in time order ----------------------------------

  private fixes(sim: SimBatch): Fix[] {
    const after = sim.facts.lastLocation?.at.getTime() ?? -Infinity;
    return sim.locations
      .filter((l) => l.at.getTime() > after)
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((l) => ({ lat: l.lat, lon: l.lon, accuracyM: l.accuracyM, at: l.at }));
  }

  private async travel(tx: SqlExecutor, sim: SimBatch, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'impossible_travel');
    if (!rules.length || !sim.locations.length) return;
    let previous: Fix | null = sim.facts.lastLocation;
    for (const fix of this.fixes(sim)) {
      if (previous) {
        const move = impliedSpeedKmh(previous, fix);
        for (const rule of rules.filter((r) => move.kmh > r.params.maxKmh)) {
          await this.raiseFor(
            tx,
            rule,
            sim,
            fix.at,
            {
              from: { lat: previous.lat, lon: previous.lon, at: previous.at.toISOString() },
              to: { lat: fix.lat, lon: fix.lon, at: fix.at.toISOString() },
              distanceKm: Math.round(move.distanceM) / 1000,
              hours: move.hours,
              speedKmh: Math.round(move.kmh),
              maxKmh: rule.params.maxKmh,
            },
            effects,
          );
        }
      }
      previous = fix;
    }
  }

  private async geofences(tx: SqlExecutor, sim: SimBatch, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'geofence');
    if (!rules.length || !sim.locations.length) return;
    const fixes = this.fixes(sim);
    for (const rule of rules) {
      const fence: Fence = rule.params.circle ? { circle: rule.params.circle } : { polygon: rule.params.polygon! };
      for (const fix of fixes) {
        const inside = insideFence(fence, fix);
        const violated = rule.params.on === 'exit' ? !inside : inside;
        if (violated) {
          await this.raiseFor(tx, rule, sim, fix.at, { on: rule.params.on, inside, lat: fix.lat, lon: fix.lon, at: fix.at.toISOString() }, effects);
        } else {
          const open = await this.alerts.findOpen(tx, rule.id, sim.facts.iccid);
          if (open) await this.writer.resolve(tx, open, 'system', inside ? 'back_inside' : 'left_area', fix.at);
        }
      }
    }
  }

  // --- new_country: a session's first record -----------------------------------------------------------

  private async newCountries(tx: SqlExecutor, sim: SimBatch, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'new_country');
    if (!rules.length) return;
    for (const session of sim.sessions.filter((s) => s.started && s.country)) {
      const country = session.country!;
      for (const rule of rules) {
        const params: RuleParams['new_country'] = rule.params;
        const allowed = params.allowedCountries ? { countries: params.allowedCountries, source: 'rule' as const } : sim.facts.allowedCountries;
        let fire: boolean;
        if (allowed) fire = !allowed.countries.includes(country);
        // No allowed list anywhere: a country the SIM never had a session in, after its first session.
        else
          fire =
            (await this.state.hadOtherSession(tx, sim.facts.iccid, session.sessionId)) &&
            !(await this.state.countrySeenBefore(tx, sim.facts.iccid, country, session.sessionId));
        if (!fire) continue;
        const details = {
          country,
          sessionId: session.sessionId,
          allowedCountries: allowed?.countries ?? null,
          allowedSource: allowed?.source ?? null,
        };
        await this.raiseFor(tx, rule, sim, session.startedAt, details, effects);
      }
    }
  }

  // --- silent: any record from the SIM clears its silent alerts -----------------------------------------

  private async clearSilent(tx: SqlExecutor, sims: SimBatch[], now: Date): Promise<void> {
    const ruleIds = new Set<string>();
    const iccids: string[] = [];
    for (const sim of sims) {
      const silent = rulesOf(sim.rules, 'silent');
      if (!silent.length) continue;
      for (const r of silent) ruleIds.add(r.id);
      iccids.push(sim.facts.iccid);
    }
    if (!iccids.length) return;
    for (const open of await this.alerts.openOfRules(tx, [...ruleIds], iccids)) {
      await this.writer.resolve(tx, open, 'system', 'heard_again', now);
    }
    this.logger.debug(`cleared silent alerts of ${iccids.length} SIM(s)`);
  }
}

/** The ingestion transaction's records in the evaluator's terms (one entry per session, after the ledger upsert). */
export function ingestedRecords(
  entries: LedgerEntry[],
  results: LedgerUpsertResult[],
  sessions: ReadonlyArray<{ iccid: string; receivedAt: string; record: { sessionId: string; imei?: string } }>,
  locations: ReadonlyArray<{ accountId: string; iccid: string; record: LocationRecord }>,
  statuses: ReadonlyArray<{ accountId: string; iccid: string; record: StatusRecord }>,
): IngestedRecords {
  const key = (iccid: string, sessionId: string) => `${iccid}\u0000${sessionId}`;
  const resultOf = new Map(results.map((r) => [key(r.iccid, r.sessionId), r]));
  const inputOf = new Map(sessions.map((s) => [key(s.iccid, s.record.sessionId), s]));
  return {
    sessions: entries.map((e) => {
      const result = resultOf.get(key(e.iccid, e.sessionId));
      const input = inputOf.get(key(e.iccid, e.sessionId));
      return {
        accountId: e.accountId,
        iccid: e.iccid,
        sessionId: e.sessionId,
        startedAt: e.startedAt,
        bytesTotal: e.bytesUp + e.bytesDown,
        country: e.country,
        imei: input?.record.imei ?? null,
        started: result?.inserted ?? false,
        ended: e.endedAt !== null && !result?.previousEndedAt,
        receivedAt: input ? new Date(input.receivedAt) : e.startedAt,
      };
    }),
    locations: locations.map((l) => ({
      accountId: l.accountId,
      iccid: l.iccid,
      lat: l.record.lat,
      lon: l.record.lon,
      accuracyM: l.record.accuracyM,
      at: new Date(l.record.at),
    })),
    statuses: statuses.map((s) => ({ accountId: s.accountId, iccid: s.iccid, imei: s.record.imei, at: new Date(s.record.at) })),
  };
}
