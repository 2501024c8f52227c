import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { SecretsModule, WebhookRepository } from '@simfleet/persistence';
import { WebhookUrlGuard } from './url-guard.js';
import { WebhookDeliverer } from './webhook-deliverer.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksService } from './webhooks.service.js';

/** Response bytes kept per attempt in the delivery log. */
const EXCERPT_BYTES = 1024;

/** At startup, signing secrets still in clear or sealed with a previous SECRETS_KEY are sealed with the current key. */
@Injectable()
export class WebhookSecretsResealer implements OnApplicationBootstrap {
  constructor(@Inject(WebhookRepository) private readonly webhooks: WebhookRepository) {}

  async onApplicationBootstrap(): Promise<void> {
    const resealed = await this.webhooks.resealSecrets();
    if (resealed) new Logger('Secrets').log(`sealed ${resealed} webhook signing secret(s) with the current SECRETS_KEY`);
  }
}

/** Webhook endpoints and delivery (the dispatcher loop itself runs in the worker role: WorkerModule). */
@Module({
  imports: [SecretsModule],
  providers: [
    WebhookSecretsResealer,
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
