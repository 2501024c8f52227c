import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Database, SimRepository } from '@simfleet/persistence';
import { decodeCursor, toPage, type Page, type FormFactor, type Sim, type StockSim, generateStock, serialOf } from '@simfleet/domain';
import { OrdersService } from '../orders/orders.service.js';

// Any fixed number: serialises stock generation across processes so two runs never draw the same serials.
const STOCK_LOCK = 7_340_022;

@Injectable()
export class StockService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OrdersService) private readonly orders: OrdersService,
  ) {}

  /** Generates `count` new SIMs from the configured issuer range, continuing after the highest serial issued. */
  async generate(count: number, formFactor: FormFactor): Promise<{ created: number; iccids: string[] }> {
    const result = await this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [STOCK_LOCK]);
      const range = this.config.simIssuer;
      const highest = await this.sims.highestIccidWithPrefix(tx, range.iccidPrefix);
      const stock = generateStock(range, highest ? serialOf(range, highest) + 1 : 1, count, formFactor);
      const { inserted } = await this.sims.insertStock(stock, tx);
      return { created: inserted.length, iccids: inserted };
    });
    // Orders that waited for stock get their turn, oldest first.
    if (result.created) await this.orders.stockAdded();
    return result;
  }

  /** Imports SIMs made elsewhere; ones whose ICCID, IMSI or MSISDN already exist are reported, not duplicated. */
  async import(sims: StockSim[]): Promise<{ created: number; skipped: string[] }> {
    const { inserted } = await this.sims.insertStock(sims);
    const created = new Set(inserted);
    if (inserted.length) await this.orders.stockAdded();
    return { created: inserted.length, skipped: sims.map((s) => s.iccid).filter((iccid) => !created.has(iccid)) };
  }

  async summary() {
    return this.sims.stockCounts();
  }

  async list(limit: number, cursor?: string): Promise<Page<Sim>> {
    const rows = await this.sims.listStock(limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (s) => s.iccid);
  }
}
