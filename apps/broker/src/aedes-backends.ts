import { Redis } from 'ioredis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis, { type MQEmitterPacket } from 'mqemitter-redis';
import type { AppConfig } from '@simfleet/config';
import { Topics } from '@simfleet/domain';
import { closeRedis } from '@simfleet/queue';
import { IntegrationInterest } from './integration-interest.js';

/** What aedes is built on: its own in-memory defaults, or Redis so that brokers share sessions and messages. */
export interface AedesBackends {
  kind: 'memory' | 'redis';
  options: { persistence?: unknown; mq?: unknown };
  start(): Promise<void>;
  /** Before granting an integration's subscription: its account's records must then reach every broker. */
  registerIntegration(accountId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Chosen once, where the broker is built. With REDIS_URL, sessions (subscriptions, QoS 1 messages queued
 * for offline clean=false clients, retained messages) live in Redis under `<REDIS_PREFIX>:mqtt:` and
 * publishes travel over Redis pub/sub, so a client on one broker receives what a device sent to another.
 * Records of an account without any integration stay on the broker that received them: only that
 * account's integrations could ever match them (IntegrationInterest).
 */
export function createAedesBackends(config: AppConfig): AedesBackends {
  if (config.queue.kind !== 'bullmq') {
    return { kind: 'memory', options: {}, start: async () => undefined, registerIntegration: async () => undefined, close: async () => undefined };
  }
  const url = config.queue.redisUrl;
  const store = new Redis(url, { keyPrefix: `${config.queue.prefix}:mqtt:` });
  // Every forwarded publish becomes a Redis PUBLISH: pipelining sends those of one tick in one write.
  const pubConn = new Redis(url, { enableAutoPipelining: true });
  const subConn = new Redis(url);
  const interestConn = new Redis(url);
  const interest = new IntegrationInterest(pubConn, interestConn, `${config.queue.prefix}:mqtt:integration-accounts`);
  const mq = mqemitterRedis({ pubConn, subConn });
  const publishToRedis = mq.emit.bind(mq);
  const deliverLocally = mq._emit.bind(mq);
  mq.emit = (packet: MQEmitterPacket, done?: (error?: Error) => void) => {
    const accountId = Topics.accountOf(packet.topic);
    return accountId !== null && !interest.has(accountId) ? deliverLocally(packet, done) : publishToRedis(packet, done);
  };
  return {
    kind: 'redis',
    options: { persistence: aedesPersistenceRedis({ conn: store }), mq },
    start: () => interest.start(),
    registerIntegration: (accountId) => interest.register(accountId),
    // aedes.close() returns before the persistence has finished cleaning up after the last clients
    // (e.g. dropping a clean session's subscriptions): QUIT lets those queued commands complete first.
    close: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await closeRedis(store, pubConn, subConn, interestConn);
    },
  };
}
