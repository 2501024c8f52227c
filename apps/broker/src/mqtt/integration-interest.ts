import type { Redis } from 'ioredis';

/**
 * The accounts with an integration subscribed on some broker, shared through Redis: a set that only grows,
 * and a channel announcing additions. Brokers publish telemetry of other accounts on Redis for nobody —
 * no broker can have a subscriber for it — and that PUBLISH per record was a third of a broker's CPU.
 */
export class IntegrationInterest {
  private readonly accounts = new Set<string>();

  constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    /** Both the set's key and the announcement channel. */
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, accountId: string) => {
      if (channel === this.name) this.accounts.add(accountId);
    });
    // Subscribed before reading the set: an account added in between is in one or the other.
    await this.subscriber.subscribe(this.name);
    for (const accountId of await this.commands.smembers(this.name)) this.accounts.add(accountId);
  }

  has(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  /**
   * Before an integration's subscription is granted. Redis queues the announcement to every broker before
   * PUBLISH returns, so a broker reads it before any record the integration's SUBACK can have prompted.
   */
  async register(accountId: string): Promise<void> {
    if (this.accounts.has(accountId)) return;
    await this.commands.sadd(this.name, accountId);
    await this.commands.publish(this.name, accountId);
    this.accounts.add(accountId);
  }
}
