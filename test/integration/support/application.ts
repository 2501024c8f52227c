import type { CustomTransportStrategy, Server } from '@nestjs/microservices';
import {
  AlertEvaluator,
  AlertRuleCache,
  AlertWriter,
  BillingSessionRater,
  IngestTelemetry,
  InvoicingService,
  DEVICE_CONTROL,
  InProcessControlPlane,
  RoutedDeviceControl,
  type DisconnectOrder,
  PricePlansService,
  SimBlocksService,
} from '@simfleet/application';
import type { Clock } from '@simfleet/domain';
import {
  AlertEvaluationRepository,
  AlertRepository,
  AlertRuleRepository,
  BillingInputsRepository,
  EventRepository,
  InvoiceRepository,
  migrate,
  PgliteDatabase,
  PricePlanRepository,
  SimBlocksRepository,
  SimConnectionRepository,
  SimRepository,
  UnitOfWork,
  UsageEventRepository,
  UsageLedgerRepository,
  UsageRollupsRepository,
} from '@simfleet/persistence';
import { SqlTelemetryStore, type TelemetryStore } from '@simfleet/telemetry';

/**
 * The ingestion, alert and invoicing use cases wired by hand on an in-memory PGlite with the real
 * repositories and the SQL telemetry store: medium tests, no Nest application.
 */
export async function medium(clock: Clock) {
  const db = await PgliteDatabase.open();
  await migrate(db);
  const unit = new UnitOfWork(db);
  // The control plane in process, with one broker that records the disconnect orders it receives.
  const transport = new InProcessControlPlane();
  const broker = transport.server('broker-medium') as Server & CustomTransportStrategy;
  const kicked: string[] = [];
  broker.addHandler(DEVICE_CONTROL.disconnect, async (order: DisconnectOrder) => void kicked.push(...order.iccids), true);
  await new Promise<void>((resolve) => broker.listen(() => resolve()));
  const devices = new RoutedDeviceControl(transport, new SimConnectionRepository(db));
  const sims = new SimRepository(db);
  const events = new EventRepository(db);
  const ledger = new UsageLedgerRepository(db);
  const alerts = new AlertRepository(db);
  const rules = new AlertRuleRepository(db);
  const inputs = new BillingInputsRepository(db);
  const plans = new PricePlansService(new PricePlanRepository(db), inputs);
  await plans.onModuleInit();
  const blocks = new SimBlocksService(db, new SimBlocksRepository(db), sims, events, devices, clock);
  const evaluator = new AlertEvaluator(
    new AlertRuleCache(rules),
    new AlertEvaluationRepository(db),
    alerts,
    new AlertWriter(alerts, events, blocks),
    blocks,
    clock,
  );
  const rater = new BillingSessionRater(plans);
  const store = new SqlTelemetryStore(unit);
  const ingest = (telemetry: TelemetryStore = store, sessionRater = rater) =>
    new IngestTelemetry(unit, telemetry, ledger, new UsageRollupsRepository(db), sims, events, sessionRater, evaluator, clock);
  const invoicing = new InvoicingService(db, clock, plans, new InvoiceRepository(db), new UsageEventRepository(db), inputs, events);

  /** An account with active SIMs (activated now, on the clock). */
  const account = async (accountId: string, iccids: string[], at = clock.now()) => {
    await db.query('insert into accounts (id, name) values ($1, $1) on conflict do nothing', [accountId]);
    for (const iccid of iccids) {
      await db.query(`insert into sims (iccid, imsi, account_id, status, allocated_at, first_activated_at) values ($1, $2, $3, 'active', $4, $4)`, [
        iccid,
        `9012${iccid.slice(-11)}`,
        accountId,
        at,
      ]);
      await db.query(
        `insert into sim_history (iccid, account_id, from_status, to_status, action, actor, at) values ($1, $2, 'inventory', 'active', 'activate', 'test', $3)`,
        [iccid, accountId, at],
      );
    }
  };

  return {
    db,
    unit,
    sims,
    events,
    ledger,
    alerts,
    rules,
    plans,
    rater,
    store,
    evaluator,
    ingest,
    invoicing,
    kicked,
    account,
    close: async () => {
      plans.onApplicationShutdown();
      await devices.beforeApplicationShutdown();
      await broker.close();
      await db.close();
    },
  };
}
