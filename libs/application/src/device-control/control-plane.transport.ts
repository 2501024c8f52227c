import {
  BaseRpcContext,
  ClientProxy,
  ClientRedis,
  Server,
  ServerRedis,
  type CustomTransportStrategy,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import type { RedisConnections } from '@simfleet/queue';

/**
 * How the control plane travels: Nest microservices over Redis pub/sub in the servers shape (any number of
 * broker processes), in-process in the embedded shape. Requests go to one broker, named in the pattern
 * (`{brokerId}/{message}`, see `routeTo`); events go to every broker. Chosen once, by RedisConnections.
 */
export abstract class ControlPlaneTransport {
  /** The sending end (API, lifecycle, SMS jobs). */
  abstract client(): ControlPlaneClient;
  /** The receiving end of one broker: its `@MessagePattern` / `@EventPattern` handlers are served through it. */
  abstract server(brokerId: string): CustomTransportStrategy;
}

/** What the sending end uses of a Nest ClientProxy. */
export type ControlPlaneClient = Pick<ClientProxy, 'send' | 'emit' | 'close'>;

/** The pattern of a request for one broker. */
export const routeTo = (brokerId: string, message: string): string => `${brokerId}/${message}`;

// ---------------------------------------------------------------------------------------------------------
// Redis: Nest's transport, its connections opened by RedisConnections (error handling, reconnects for ever,
// /ready, shutdown) and its channels under REDIS_PREFIX: `{prefix}:control:{message}` for events,
// `{prefix}:control:{brokerId}/{message}` for one broker's requests, `….reply` for their answers.

class BrokerRedisServer extends ServerRedis {
  private readonly events: string;
  private readonly requests: string;

  constructor(
    private readonly connections: RedisConnections,
    brokerId: string,
  ) {
    super({});
    this.events = `${connections.prefix}:control:`;
    this.requests = `${this.events}${routeTo(brokerId, '')}`;
  }

  override async createRedisClient(): Promise<Redis> {
    // Nest connects it (lazyConnect) once its listeners are in place.
    return this.connections.open('control-plane:server', { lazyConnect: true });
  }

  override bindEvents(subClient: Redis, pubClient: Redis): void {
    subClient.on('message', this.getMessageHandler(pubClient).bind(this));
    const channels = [...this.messageHandlers].map(([pattern, handler]) => `${handler.isEventHandler ? this.events : this.requests}${pattern}`);
    // Resubscribed by ioredis after a reconnect.
    if (channels.length)
      subClient.subscribe(...channels).catch((error: unknown) => this.logger.error(`control plane: could not subscribe: ${String(error)}`));
  }

  override getHandlerByPattern(channel: string) {
    const pattern = channel.startsWith(this.requests)
      ? channel.slice(this.requests.length)
      : channel.startsWith(this.events)
        ? channel.slice(this.events.length)
        : channel;
    return super.getHandlerByPattern(pattern);
  }
}

class ControlPlaneRedisClient extends ClientRedis {
  private readonly base: string;

  constructor(private readonly connections: RedisConnections) {
    super({});
    this.base = `${connections.prefix}:control:`;
  }

  override async createClient(): Promise<Redis> {
    return this.connections.open('control-plane:client', { lazyConnect: true });
  }

  override getRequestPattern(pattern: string): string {
    return `${this.base}${pattern}`;
  }

  override getReplyPattern(pattern: string): string {
    return `${this.base}${pattern}.reply`;
  }

  protected override async dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    const channel = `${this.base}${this.normalizePattern(packet.pattern)}`;
    await this.pubClient!.publish(channel, JSON.stringify(this.serializer.serialize(packet)));
    return undefined as T;
  }
}

export class RedisControlPlane extends ControlPlaneTransport {
  constructor(private readonly connections: RedisConnections) {
    super();
  }

  client(): ControlPlaneClient {
    return new ControlPlaneRedisClient(this.connections);
  }

  server(brokerId: string): CustomTransportStrategy {
    return new BrokerRedisServer(this.connections, brokerId);
  }
}

// ---------------------------------------------------------------------------------------------------------
// In-process: the embedded shape has one process, so a request is a call of the broker's handler.

class InProcessControlServer extends Server implements CustomTransportStrategy {
  constructor(
    private readonly brokers: Map<string, InProcessControlServer>,
    private readonly brokerId: string,
  ) {
    super();
  }

  listen(callback: () => void): void {
    this.brokers.set(this.brokerId, this);
    callback();
  }

  close(): void {
    if (this.brokers.get(this.brokerId) === this) this.brokers.delete(this.brokerId);
  }

  on(): void {
    throw new Error('the in-process control plane has no transport events');
  }

  unwrap<T>(): T {
    return this as unknown as T;
  }

  async request(pattern: string, data: unknown): Promise<unknown> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no control-plane handler for ${pattern}`);
    return lastValueFrom(this.transformToObservable(await handler(data, new BaseRpcContext([pattern]))), { defaultValue: undefined });
  }

  async event(pattern: string, data: unknown): Promise<void> {
    await this.handleEvent(pattern, { pattern, data }, new BaseRpcContext([pattern]));
  }
}

class InProcessControlClient extends ClientProxy {
  constructor(private readonly brokers: Map<string, InProcessControlServer>) {
    super();
  }

  async connect(): Promise<void> {}

  close(): void {}

  unwrap<T>(): T {
    return this.brokers as unknown as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const route = this.normalizePattern(packet.pattern);
    const slash = route.lastIndexOf('/');
    const broker = this.brokers.get(route.slice(0, slash));
    // No such broker here: no answer, as over Redis (the caller's timeout decides).
    if (!broker) return () => undefined;
    broker.request(route.slice(slash + 1), packet.data).then(
      (response) => callback({ response, isDisposed: true }),
      (err: unknown) => callback({ err }),
    );
    return () => undefined;
  }

  protected async dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    const pattern = this.normalizePattern(packet.pattern);
    await Promise.all([...this.brokers.values()].map((broker) => broker.event(pattern, packet.data)));
    return undefined as T;
  }
}

export class InProcessControlPlane extends ControlPlaneTransport {
  private readonly brokers = new Map<string, InProcessControlServer>();

  client(): ControlPlaneClient {
    return new InProcessControlClient(this.brokers);
  }

  server(brokerId: string): CustomTransportStrategy {
    return new InProcessControlServer(this.brokers, brokerId);
  }
}
