import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';

/** The two ways a shared part (queue, rate-limit counters, broker sessions, control plane) can be built. */
export interface SharedOrLocal<T> {
  /** Built on Redis, shared by every process of the deployment. */
  redis(connections: RedisConnections): T;
  /** Built in this process (the embedded shape). */
  local(): T;
}

/** A connection that has failed since it was last ready, and why (for /ready and the logs). */
export interface RedisConnectionState {
  name: string;
  status: string;
  lastError: string | null;
}

// Statuses of an ioredis connection that can serve commands now, or will connect on first use.
const SERVING = new Set(['ready', 'wait']);

/**
 * Every Redis connection of the process, and the one place that decides between Redis and local parts
 * (REDIS_URL set or not). A connection is opened here with an error listener (an ioredis client, or an
 * emitter built on one, without it can end the process on an ECONNREFUSED), reconnects for ever with a
 * capped backoff, is reported on `/ready` while it is away, and is closed at shutdown, after every role
 * has stopped using it (Nest runs `onApplicationShutdown` after every `beforeApplicationShutdown`).
 */
export class RedisConnections {
  readonly enabled: boolean;
  /** Key and channel prefix shared by the deployment (REDIS_PREFIX). */
  readonly prefix: string;
  private readonly url: string;
  private readonly connections = new Map<string, { connection: Redis; lastError: string | null }>();
  private readonly logger = new Logger('Redis');
  private closing = false;
  private sequence = 0;

  constructor(options: { url: string; prefix: string } | null) {
    this.enabled = options !== null;
    this.url = options?.url ?? '';
    this.prefix = options?.prefix ?? 'simfleet';
  }

  static fromConfig(config: AppConfig): RedisConnections {
    return new RedisConnections(config.queue.kind === 'bullmq' ? { url: config.queue.redisUrl, prefix: config.queue.prefix } : null);
  }

  /** The Redis-or-local decision, made here for every part that has both forms. */
  choose<T>(parts: SharedOrLocal<T>): T {
    return this.enabled ? parts.redis(this) : parts.local();
  }

  /**
   * Opens a connection for one use (`name` says which, in logs and on /ready). Options are ioredis'
   * (e.g. `enableOfflineQueue: false` for a producer that must fail fast rather than wait).
   */
  open(name: string, options: RedisOptions = {}): Redis {
    if (!this.enabled) throw new Error(`no REDIS_URL: ${name} cannot open a Redis connection`);
    if (this.closing) throw new Error(`shutting down: ${name} cannot open a Redis connection`);
    const key = this.connections.has(name) ? `${name}#${++this.sequence}` : name;
    const connection = new Redis(this.url, {
      // Reconnect for ever: a Redis restart must not leave a role without its connections.
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
      ...options,
    });
    const entry = { connection, lastError: null as string | null };
    this.connections.set(key, entry);
    connection.on('error', (error: Error) => {
      // ioredis emits the same error on every reconnect attempt: log a change, not each retry.
      if (entry.lastError !== error.message) this.logger.warn(`${key}: ${error.message} (reconnecting)`);
      entry.lastError = error.message;
    });
    connection.on('ready', () => {
      if (entry.lastError !== null) this.logger.log(`${key}: connected again`);
      entry.lastError = null;
    });
    connection.on('end', () => {
      if (!this.closing) this.connections.delete(key);
    });
    return connection;
  }

  /** Each open connection and whether it can serve (the broker's /ready and the logs). */
  states(): RedisConnectionState[] {
    return [...this.connections].map(([name, { connection, lastError }]) => ({ name, status: connection.status, lastError }));
  }

  /** Throws, naming them, when some connections cannot serve commands now (Redis away or restarting). */
  assertReady(): void {
    const away = this.states().filter((state) => !SERVING.has(state.status));
    if (away.length) {
      throw new Error(`Redis unavailable for ${away.map((s) => `${s.name} (${s.status}${s.lastError ? `: ${s.lastError}` : ''})`).join(', ')}`);
    }
  }

  get ready(): boolean {
    return this.states().every((state) => SERVING.has(state.status));
  }

  /** QUIT lets commands already sent get their replies; a connection that cannot QUIT is dropped. */
  async close(): Promise<void> {
    this.closing = true;
    const connections = [...this.connections.values()].map((entry) => entry.connection);
    this.connections.clear();
    await closeRedis(...connections);
  }
}

/** Closes ioredis connections: QUIT (commands already sent still get their replies), else disconnect. */
export async function closeRedis(...connections: Array<Redis | undefined>): Promise<void> {
  await Promise.all(
    connections.map(async (connection) => {
      if (!connection || connection.status === 'end') return;
      if (connection.status !== 'ready') return connection.disconnect();
      await connection.quit().then(
        () => undefined,
        () => connection.disconnect(),
      );
    }),
  );
}

@Injectable()
class RedisConnectionsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RedisConnections) private readonly connections: RedisConnections) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connections.close();
  }
}

/** Owns the process's Redis connections (one instance, whichever modules import it). */
@Module({
  providers: [{ provide: RedisConnections, inject: [APP_CONFIG], useFactory: RedisConnections.fromConfig }, RedisConnectionsLifecycle],
  exports: [RedisConnections],
})
export class RedisConnectionsModule {}
