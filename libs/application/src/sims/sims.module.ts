import { Module } from '@nestjs/common';
import { OrdersService } from '../orders/orders.service.js';
import { StockService } from '../stock/stock.service.js';
import { DeviceConnectivityModule } from '../telemetry/device-connectivity.module.js';
import { SimBlocksService } from './sim-blocks.service.js';
import { SimsService } from './sims.service.js';

const providers = [SimsService, SimBlocksService, StockService, OrdersService];

/** SIMs from stock to termination: stock, orders, the lifecycle, and blocks (which cut connected devices). */
@Module({ imports: [DeviceConnectivityModule], providers, exports: providers })
export class SimsModule {}
