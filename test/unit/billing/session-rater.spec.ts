import { BillingSessionRater, monthIn, PricePlansService } from '@simfleet/application';
import { DEFAULT_PLAN, type PricePlan } from '@simfleet/billing';
import type { BillingInputsRepository, PlanAssignment, PricePlanRepository, StoredPricePlan } from '@simfleet/persistence';

const expensive: PricePlan = {
  ...DEFAULT_PLAN,
  id: 'expensive',
  name: 'Expensive',
  things: { ...DEFAULT_PLAN.things!, data: { ...DEFAULT_PLAN.things!.data, zones: { ...DEFAULT_PLAN.things!.data.zones, 'zone-1': '1.00' } } },
};

/** An in-memory plan repository that counts its reads, to prove rating never reads the database. */
class FakePlans {
  reads = 0;
  plans = new Map<string, StoredPricePlan>();
  assignmentsList: PlanAssignment[] = [];
  async list() {
    this.reads++;
    return [...this.plans.values()];
  }
  async get(id: string) {
    this.reads++;
    return this.plans.get(id) ?? null;
  }
  async insertIfAbsent(id: string, name: string, plan: unknown) {
    if (!this.plans.has(id)) this.plans.set(id, { id, name, plan: plan as Record<string, unknown>, createdAt: new Date(), updatedAt: new Date() });
  }
  async upsert(id: string, name: string, plan: unknown) {
    const stored = { id, name, plan: plan as Record<string, unknown>, createdAt: new Date(), updatedAt: new Date() };
    this.plans.set(id, stored);
    return stored;
  }
  async allAssignments() {
    this.reads++;
    return this.assignmentsList;
  }
  async assignments(accountId: string) {
    this.reads++;
    return this.assignmentsList.filter((a) => a.accountId === accountId);
  }
  async assign(accountId: string, effectiveFrom: string, planId: string, actor: string) {
    const a = { accountId, effectiveFrom, planId, actor, assignedAt: new Date() };
    this.assignmentsList = [...this.assignmentsList.filter((x) => !(x.accountId === accountId && x.effectiveFrom === effectiveFrom)), a];
    return a;
  }
}

const session = (startedAt: string, accountId = 'acc_1') => ({
  accountId,
  startedAt: new Date(startedAt),
  bytesUp: 0,
  bytesDown: 1_048_576,
  mcc: '208',
  mnc: '01',
});

describe('rating at ingest with the account’s plan', () => {
  let repo: FakePlans;
  let service: PricePlansService;
  let rater: BillingSessionRater;

  beforeEach(async () => {
    repo = new FakePlans();
    const inputs = { accountExists: async () => true } as unknown as BillingInputsRepository;
    service = new PricePlansService(repo as unknown as PricePlanRepository, inputs);
    await service.onModuleInit();
    service.onApplicationShutdown();
    rater = new BillingSessionRater(service);
  });

  it('uses the default plan until a plan is assigned, then the plan effective in the session’s month (plan time zone)', async () => {
    expect(rater.rate(session('2026-11-10T10:00:00Z'))).toEqual({ zone: 'zone-1', amount: '0.01', currency: 'EUR' });
    await service.put('expensive', expensive);
    await service.assign('acc_1', 'expensive', '2026-11', 'test');
    // 31 October 23:30 UTC is already November in Paris.
    expect(rater.rate(session('2026-10-31T23:30:00Z'))?.amount).toBe('1');
    expect(rater.rate(session('2026-10-31T22:30:00Z'))?.amount).toBe('0.01');
    expect(rater.rate(session('2026-11-10T10:00:00Z', 'acc_2'))?.amount).toBe('0.01');
  });

  it('rates from the cache: no repository read per record', async () => {
    await service.put('expensive', expensive);
    await service.assign('acc_1', 'expensive', '2026-01', 'test');
    const reads = repo.reads;
    for (let i = 0; i < 1000; i++) rater.rate(session('2026-11-10T10:00:00Z'));
    expect(repo.reads).toBe(reads);
  });

  it('picks the plan in force for an invoice period: the latest assignment effective at the period start', async () => {
    await service.put('expensive', expensive);
    await service.assign('acc_1', 'expensive', '2026-11', 'test');
    expect((await service.planForPeriod('acc_1', '2026-10')).id).toBe('default-eur');
    expect((await service.planForPeriod('acc_1', '2026-11')).id).toBe('expensive');
    expect((await service.planForPeriod('acc_1', '2027-03')).id).toBe('expensive');
  });

  it('formats months in a time zone', () => {
    expect(monthIn(new Date('2026-10-31T23:30:00Z'), 'Europe/Paris')).toBe('2026-11');
    expect(monthIn(new Date('2026-10-31T23:30:00Z'), 'UTC')).toBe('2026-10');
  });
});
