import { Module } from '@nestjs/common';
import { SimsModule, SmsModule, SupportModule } from '@simfleet/application';
import { RateLimitModule } from './http/rate-limit/rate-limit.module.js';
import { AdminOrdersController } from './orders/admin-orders.controller.js';
import { SmsController, SmsProviderController } from './sms/sms.controller.js';
import { AdminSupportCasesController, SupportCasesController } from './support/support.controller.js';

/** SMS and wake-up, dedicated support, order logistics (admin), and the API-wide rate limit. */
@Module({
  imports: [RateLimitModule, SmsModule, SupportModule, SimsModule],
  controllers: [SmsController, SmsProviderController, SupportCasesController, AdminSupportCasesController, AdminOrdersController],
})
export class FleetServicesApiModule {}
