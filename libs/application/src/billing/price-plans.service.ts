import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { assertPlan, DEFAULT_PLAN, validatePlan, type PricePlan } from '@simfleet/billing';
import { DomainError } from '@simfleet/domain';
import { BillingInputsRepository, PricePlanRepository, type PlanAssignment, type StoredPricePlan } from '@simfleet/persistence';

/** How often a process re-reads plans and assignments, so changes made through another process apply. */
export const PLAN_REFRESH_MS = 30_000;

export interface PricePlanView {
  id: string;
  name: string;
  plan: PricePlan;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const monthFormatters = new Map<string, Intl.DateTimeFormat>();
/** 'YYYY-MM' of an instant in a time zone (the plan's periods are local calendar months). */
export function monthIn(at: Date, timeZone: string): string {
  let f = monthFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' });
    monthFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

interface CachedAssignment {
  effectiveFrom: string;
  plan: PricePlan;
}

/**
 * Price plans and their assignment to accounts. Keeps every plan and assignment in memory (small
 * tables) so the ingestion hot path picks an account's plan without a database call; the cache is
 * reloaded after each change made here and every PLAN_REFRESH_MS for changes made by other processes.
 */
@Injectable()
export class PricePlansService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PricePlans');
  private defaultPlan: PricePlan = DEFAULT_PLAN;
  /** accountId → assignments, latest effective month first. */
  private byAccount = new Map<string, CachedAssignment[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(PricePlanRepository) private readonly plans: PricePlanRepository,
    @Inject(BillingInputsRepository) private readonly inputs: BillingInputsRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.plans.insertIfAbsent(DEFAULT_PLAN.id, DEFAULT_PLAN.name, DEFAULT_PLAN);
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn(`price plan refresh failed, keeping the cached plans: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, PLAN_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reloads plans and assignments into the cache used by `planAt`. */
  async refresh(): Promise<void> {
    const [stored, assignments] = await Promise.all([this.plans.list(), this.plans.allAssignments()]);
    const byId = new Map(stored.map((p) => [p.id, assertPlan(p.plan)]));
    const byAccount = new Map<string, CachedAssignment[]>();
    for (const a of assignments) {
      const plan = byId.get(a.planId);
      if (!plan) continue;
      const list = byAccount.get(a.accountId) ?? [];
      list.push({ effectiveFrom: a.effectiveFrom, plan });
      byAccount.set(a.accountId, list);
    }
    for (const list of byAccount.values()) list.sort((x, y) => (x.effectiveFrom < y.effectiveFrom ? 1 : -1));
    this.defaultPlan = byId.get(DEFAULT_PLAN.id) ?? DEFAULT_PLAN;
    this.byAccount = byAccount;
  }

  /** The plan in force for an account at an instant, from the cache (synchronous: the ingestion hot path). */
  planAt(accountId: string, at: Date): PricePlan {
    for (const a of this.byAccount.get(accountId) ?? []) {
      if (a.effectiveFrom <= monthIn(at, a.plan.timeZone)) return a.plan;
    }
    return this.defaultPlan;
  }

  /** The plan in force for an invoice period: the one effective at the period's start, read fresh. */
  async planForPeriod(accountId: string, period: string): Promise<PricePlan> {
    const assignments = await this.plans.assignments(accountId);
    const current = assignments.filter((a) => a.effectiveFrom <= period).at(-1);
    const id = current?.planId ?? DEFAULT_PLAN.id;
    const stored = await this.plans.get(id);
    return stored ? assertPlan(stored.plan) : DEFAULT_PLAN;
  }

  async list(): Promise<PricePlanView[]> {
    return (await this.plans.list()).map((p) => this.view(p));
  }

  async get(id: string): Promise<PricePlanView> {
    const stored = await this.plans.get(id);
    if (!stored) throw DomainError.notFound('Price plan', id);
    return this.view(stored);
  }

  /** Creates or replaces a plan. Every problem is reported at once, with its path in the plan. */
  async put(id: string, body: unknown): Promise<{ plan: PricePlanView; created: boolean }> {
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const givenId = (body as { id?: unknown }).id;
      if (givenId !== undefined && givenId !== id) {
        throw DomainError.validation(`The plan's id ${JSON.stringify(givenId)} differs from the URL's ${id}`, [
          { field: 'id', message: `must be ${id} (the id in the URL) or absent` },
        ]);
      }
      body = { ...body, id };
    }
    const result = validatePlan(body);
    if (!result.ok) {
      const fields = result.problems.map((p) => ({ field: p.path || '(body)', message: p.message }));
      throw DomainError.validation(`The price plan is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
    }
    const existed = (await this.plans.get(id)) !== null;
    const stored = await this.plans.upsert(id, result.plan.name, result.plan);
    await this.refresh();
    return { plan: this.view(stored), created: !existed };
  }

  async assign(accountId: string, planId: string, effectiveFrom: string, actor: string): Promise<PlanAssignment> {
    if (!(await this.inputs.accountExists(accountId))) throw DomainError.notFound('Account', accountId);
    if (!(await this.plans.get(planId)))
      throw DomainError.validation(`No price plan ${planId}`, [{ field: 'planId', message: `unknown price plan ${planId}` }]);
    const assignment = await this.plans.assign(accountId, effectiveFrom, planId, actor);
    await this.refresh();
    return assignment;
  }

  async history(accountId: string): Promise<{ accountId: string; defaultPlanId: string; assignments: PlanAssignment[] }> {
    if (!(await this.inputs.accountExists(accountId))) throw DomainError.notFound('Account', accountId);
    return { accountId, defaultPlanId: DEFAULT_PLAN.id, assignments: await this.plans.assignments(accountId) };
  }

  private view(p: StoredPricePlan): PricePlanView {
    return { id: p.id, name: p.name, plan: assertPlan(p.plan), isDefault: p.id === DEFAULT_PLAN.id, createdAt: p.createdAt, updatedAt: p.updatedAt };
  }
}
