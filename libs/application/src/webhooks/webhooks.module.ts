import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { WebhookUrlGuard } from './url-guard.js';
import { WebhookDeliverer } from './webhook-deliverer.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksService } from './webhooks.service.js';

/** Response bytes kept per attempt in the delivery log. */
const EXCERPT_BYTES = 1024;

/** Webhook endpoints and delivery (the dispatcher loop itself runs in the worker role: WorkerModule). */
@Module({
  providers: [
    WebhooksService,
    WebhookDeliverer,
    {
      provide: WebhookUrlGuard,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new WebhookUrlGuard(config.webhooks.allowedCidrs),
    },
    {
      provide: WebhookSender,
      inject: [WebhookUrlGuard, APP_CONFIG],
      useFactory: (guard: WebhookUrlGuard, config: AppConfig) =>
        new WebhookSender(guard, { timeoutMs: config.webhooks.timeoutMs, maxRedirects: config.webhooks.maxRedirects, excerptBytes: EXCERPT_BYTES }),
    },
  ],
  exports: [WebhooksService, WebhookDeliverer, WebhookUrlGuard, WebhookSender],
})
export class WebhooksModule {}
