import { Redis } from 'ioredis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import type { AppConfig } from '../../../libs/config/src/index.js';
import { closeRedis } from '../../../libs/queue/src/redis-connections.js';

/** What aedes is built on: its own in-memory defaults, or Redis so that brokers share sessions and messages. */
export interface AedesBackends {
  kind: 'memory' | 'redis';
  options: { persistence?: unknown; mq?: unknown };
  close(): Promise<void>;
}

/**
 * Chosen once, where the broker is built. With REDIS_URL, sessions (subscriptions, QoS 1 messages queued
 * for offline clean=false clients, retained messages) live in Redis under `<REDIS_PREFIX>:mqtt:` and every
 * publish travels over Redis pub/sub, so a client on one broker receives what a device sent to another.
 */
export function createAedesBackends(config: AppConfig): AedesBackends {
  if (config.queue.kind !== 'bullmq') return { kind: 'memory', options: {}, close: async () => undefined };
  const url = config.queue.redisUrl;
  const store = new Redis(url, { keyPrefix: `${config.queue.prefix}:mqtt:` });
  const pubConn = new Redis(url);
  const subConn = new Redis(url);
  const mq = mqemitterRedis({ pubConn, subConn });
  return {
    kind: 'redis',
    options: { persistence: aedesPersistenceRedis({ conn: store }), mq },
    // aedes.close() returns before the persistence has finished cleaning up after the last clients
    // (e.g. dropping a clean session's subscriptions): QUIT lets those queued commands complete first.
    close: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await closeRedis(store, pubConn, subConn);
    },
  };
}
