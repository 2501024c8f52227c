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
  type SessionChange,
  sessionEnded,
  sessionKey,
  sessionStarted,
} from '@simfleet/domain';
import { type SqlExecutor, AlertEvaluationRepository, type SimFacts, type StoredBaselines, AlertRepository } from '@simfleet/persistence';
import type { LocationPoint, StatusPoint } from '@simfleet/telemetry';
import { SimBlocksService } from '../sims/sim-blocks.service.js';
import { AlertRuleCache } from './alert-rule-cache.js';
import { AlertEffects, AlertWriter } from './alert-writer.js';

/** One ingested batch, as the ingestion transaction stored it: each session's change, the location fixes, the status reports. */
export interface IngestedRecords {
  sessions: readonly SessionChange[];
  locations: readonly LocationPoint[];
  statuses: readonly StatusPoint[];
}

interface SimBatch {
  facts: SimFacts;
  rules: AlertRule[];
  sessions: SessionChange[];
  locations: LocationPoint[];
  statuses: StatusPoint[];
}

/**
 * The open alerts of the batch's SIMs under the rules that may resolve them, read (and locked) once for the
 * batch and kept current as the evaluation raises and resolves.
 */
class OpenAlerts {
  private readonly byRuleAndSim = new Map<string, Alert>();
  constructor(alerts: readonly Alert[]) {
    for (const alert of alerts) this.byRuleAndSim.set(`${alert.ruleId}\u0000${alert.iccid}`, alert);
  }
  of(ruleId: string, iccid: string): Alert | null {
    return this.byRuleAndSim.get(`${ruleId}\u0000${iccid}`) ?? null;
  }
  raised(alert: Alert): void {
    this.byRuleAndSim.set(`${alert.ruleId}\u0000${alert.iccid}`, alert);
  }
  resolved(alert: Alert): void {
    this.byRuleAndSim.delete(`${alert.ruleId}\u0000${alert.iccid}`);
  }
}

/** Rules whose open alert a record can resolve (the others only raise or repeat theirs). */
const RESOLVED_BY_RECORDS: ReadonlySet<AlertRuleType> = new Set(['data_usage_limit', 'imei_change', 'geofence']);

/** The sessions of the batch first seen now, with a known country: what new_country rules look at. */
const firstSeen = (sim: SimBatch) => sim.sessions.filter((c) => sessionStarted(c) && c.after.country);

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
    for (const c of records.sessions) accountIds.add(c.after.accountId);
    for (const list of [records.locations, records.statuses]) for (const r of list) accountIds.add(r.accountId);
    const rulesByAccount = new Map<string, AlertRule[]>();
    for (const accountId of accountIds) {
      const rules = (await this.cache.enabledRules(accountId, tx)).filter((r) => RECORD_DRIVEN.has(r.type) || r.type === 'silent');
      if (rules.length) rulesByAccount.set(accountId, rules);
    }
    if (!rulesByAccount.size) return effects;

    const batches = new Map<string, SimBatch>();
    const iccids = new Set<string>();
    for (const c of records.sessions) if (rulesByAccount.has(c.after.accountId)) iccids.add(c.after.iccid);
    for (const list of [records.locations, records.statuses]) for (const r of list) if (rulesByAccount.has(r.accountId)) iccids.add(r.iccid);
    for (const facts of await this.state.lockSimFacts(tx, [...iccids])) {
      const rules = (rulesByAccount.get(facts.accountId) ?? []).filter((r) => ruleApplies(r, facts));
      if (rules.length) batches.set(facts.iccid, { facts, rules, sessions: [], locations: [], statuses: [] });
    }
    if (!batches.size) return effects;
    for (const c of records.sessions) batches.get(c.after.iccid)?.sessions.push(c);
    for (const l of records.locations) batches.get(l.iccid)?.locations.push(l);
    for (const s of records.statuses) batches.get(s.iccid)?.statuses.push(s);

    const now = this.clock.now();
    const sims = [...batches.values()];
    // Every read is one statement for the whole batch; the loops below only write, when an alert changes.
    const resolvable = sims.flatMap((sim) => sim.rules.filter((r) => RESOLVED_BY_RECORDS.has(r.type)).map((r) => r.id));
    const open = new OpenAlerts(
      resolvable.length
        ? await this.alerts.openOfRules(
            tx,
            [...new Set(resolvable)],
            sims.map((s) => s.facts.iccid),
          )
        : [],
    );
    await this.dataLimits(tx, sims, now, open, effects);
    await this.usageSpikes(tx, sims, now, effects);
    const newCountries = await this.newCountryFacts(tx, sims);
    for (const sim of sims) {
      await this.imeiChanges(tx, sim, now, open, effects);
      await this.travel(tx, sim, effects);
      await this.geofences(tx, sim, open, effects);
      await this.newCountries(tx, sim, newCountries, effects);
    }
    await this.clearSilent(tx, sims, now);
    return effects;
  }

  /** After the commit: cut off the devices this batch blocked (the broker then refuses their reconnects). */
  async afterCommit(effects: AlertEffects): Promise<void> {
    for (const iccid of effects.disconnect) await this.blocks.disconnect(iccid);
  }

  // --- data_usage_limit: in-session, on every session record that moved the counters ---------------------

  private async dataLimits(tx: SqlExecutor, sims: SimBatch[], now: Date, open: OpenAlerts, effects: AlertEffects): Promise<void> {
    const watched = sims.filter((s) => s.sessions.length && s.rules.some((r) => r.type === 'data_usage_limit'));
    if (!watched.length) return;
    const usage = await this.periodUsage(
      tx,
      watched.map((s) => ({ iccid: s.facts.iccid, periods: rulesOf(s.rules, 'data_usage_limit').map((r) => r.params.period) })),
      now,
    );
    for (const sim of watched) {
      for (const rule of rulesOf(sim.rules, 'data_usage_limit')) {
        const known = open.of(rule.id, sim.facts.iccid);
        const usageBytes = usage.get(`${rule.params.period}:${sim.facts.iccid}`) ?? 0;
        const raised = await this.applyDataLimit(tx, rule, sim.facts, usageBytes, now, effects, known);
        if (raised.resolved && known) open.resolved(known);
        if (raised.alert) open.raised(raised.alert);
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
   * Raises (warning or limit stage) or clears one data-limit rule for one SIM. `open` is the SIM's open alert
   * of the rule (null: none), which the caller read, locked, in the transaction. Says whether it resolved
   * `open`, and the alert it raised or repeated.
   */
  async applyDataLimit(
    tx: SqlExecutor,
    rule: AlertRule<'data_usage_limit'>,
    sim: SimFacts,
    usageBytes: number,
    now: Date,
    effects: AlertEffects,
    open: Alert | null,
    reassessOnly = false,
  ): Promise<{ resolved: boolean; alert: Alert | null }> {
    const limit = effectiveLimit(rule.params, sim.monthlyLimit);
    if (!limit) {
      if (open) await this.writer.resolve(tx, open, 'system', 'no_limit', now);
      return { resolved: open !== null, alert: null };
    }
    const assessment = assessDataLimit(rule.params, limit, usageBytes, now);
    // A new period began, or the limit was raised above the stage the alert was raised at: the alert's
    // condition cleared (and with it the block it placed). A reassessment only clears: the next session
    // record raises again if need be.
    const decision = dataLimitDecision(open ? { level: open.level, periodStart: open.details.periodStart } : null, assessment, reassessOnly);
    if (open && decision.resolve) await this.writer.resolve(tx, open, 'system', decision.resolve, now);
    const resolved = decision.resolve !== null;
    if (!decision.raise) return { resolved, alert: null };
    const alert = await this.writer.raise(
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
    return { resolved, alert };
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
    // A day's traffic joins the day baseline once the day is over (at the SIM's first session of a later day).
    const closedDays = await this.state.usageIn(
      tx,
      watched.flatMap((sim) => {
        const day = baselines.get(sim.facts.iccid)!.currentDay;
        if (day === null || day === today) return [];
        const start = new Date(`${day}T00:00:00.000Z`);
        return [{ iccid: sim.facts.iccid, from: start, to: periodWindow('day', start).end }];
      }),
    );
    const saved: StoredBaselines[] = [];
    for (const sim of watched) {
      let b: StoredBaselines = baselines.get(sim.facts.iccid)!;
      const rules = rulesOf(sim.rules, 'usage_spike');
      if (b.currentDay !== today) {
        if (b.currentDay !== null) b = { ...b, day: foldSample(b.day, closedDays.get(sim.facts.iccid) ?? 0) };
        b = { ...b, currentDay: today };
      }
      for (const change of sim.sessions) {
        const { sessionId } = change.after;
        const bytes = change.after.bytesUp + change.after.bytesDown;
        for (const rule of rules.filter((r) => r.params.per === 'session')) {
          if (isSpike(b.session, bytes, rule.params.factor, rule.params.minHistory)) {
            await this.raiseSpike(tx, rule, sim, { per: 'session', sessionId, bytes }, b.session, now, effects);
          }
        }
        // A session joins its SIM's baseline once, when it ends.
        if (sessionEnded(change)) b = { ...b, session: foldSample(b.session, bytes) };
      }
      const dayBytes = todayBytes.get(sim.facts.iccid) ?? 0;
      for (const rule of rules.filter((r) => r.params.per === 'day')) {
        if (isSpike(b.day, dayBytes, rule.params.factor, rule.params.minHistory)) {
          await this.raiseSpike(tx, rule, sim, { per: 'day', day: today, bytes: dayBytes }, b.day, now, effects);
        }
      }
      saved.push(b);
    }
    await this.state.saveBaselines(tx, saved, now);
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

  /** Resolves the SIM's open alert of the rule, if there is one. */
  private async resolveOpen(tx: SqlExecutor, open: OpenAlerts, rule: AlertRule, sim: SimBatch, resolution: string, at: Date): Promise<void> {
    const alert = open.of(rule.id, sim.facts.iccid);
    if (!alert) return;
    await this.writer.resolve(tx, alert, 'system', resolution, at);
    open.resolved(alert);
  }

  // --- imei_change: the device's IMEI against the authorized ones, else the last seen -------------------

  private async imeiChanges(tx: SqlExecutor, sim: SimBatch, now: Date, open: OpenAlerts, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'imei_change');
    if (!rules.length) return;
    const seen = [
      ...sim.sessions.filter((c) => c.after.imei).map((c) => ({ imei: c.after.imei!, at: c.after.receivedAt })),
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
          open.raised(await this.raiseFor(tx, rule, sim, now, details, effects, rule.action === 'block' ? 'unauthorized_imei' : null));
        } else if (authorized.includes(imei)) {
          await this.resolveOpen(tx, open, rule, sim, 'authorized_imei', now);
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

  private async geofences(tx: SqlExecutor, sim: SimBatch, open: OpenAlerts, effects: AlertEffects): Promise<void> {
    const rules = rulesOf(sim.rules, 'geofence');
    if (!rules.length || !sim.locations.length) return;
    const fixes = this.fixes(sim);
    for (const rule of rules) {
      const fence: Fence = rule.params.circle ? { circle: rule.params.circle } : { polygon: rule.params.polygon! };
      for (const fix of fixes) {
        const inside = insideFence(fence, fix);
        const violated = rule.params.on === 'exit' ? !inside : inside;
        if (violated) {
          const details = { on: rule.params.on, inside, lat: fix.lat, lon: fix.lon, at: fix.at.toISOString() };
          open.raised(await this.raiseFor(tx, rule, sim, fix.at, details, effects));
        } else {
          await this.resolveOpen(tx, open, rule, sim, inside ? 'back_inside' : 'left_area', fix.at);
        }
      }
    }
  }

  // --- new_country: a session's first record -----------------------------------------------------------

  /**
   * For each new session of a SIM whose new_country rule has no allowed list: whether the SIM had another
   * session before, and one in this country. One statement for the batch.
   */
  private async newCountryFacts(tx: SqlExecutor, sims: SimBatch[]): Promise<Map<string, { hadOther: boolean; countrySeen: boolean }>> {
    const asked = sims.flatMap((sim) =>
      rulesOf(sim.rules, 'new_country').some((r) => !r.params.allowedCountries) && !sim.facts.allowedCountries
        ? firstSeen(sim).map((c) => ({ iccid: c.after.iccid, sessionId: c.after.sessionId, country: c.after.country! }))
        : [],
    );
    return this.state.sessionHistory(tx, asked);
  }

  private async newCountries(
    tx: SqlExecutor,
    sim: SimBatch,
    history: Map<string, { hadOther: boolean; countrySeen: boolean }>,
    effects: AlertEffects,
  ): Promise<void> {
    const rules = rulesOf(sim.rules, 'new_country');
    if (!rules.length) return;
    for (const { after: session } of firstSeen(sim)) {
      const country = session.country!;
      for (const rule of rules) {
        const params: RuleParams['new_country'] = rule.params;
        const allowed = params.allowedCountries ? { countries: params.allowedCountries, source: 'rule' as const } : sim.facts.allowedCountries;
        // No allowed list anywhere: a country the SIM never had a session in, after its first session.
        const before = history.get(sessionKey(session));
        const fire = allowed ? !allowed.countries.includes(country) : before !== undefined && before.hadOther && !before.countrySeen;
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
