// The one file that knows aedes and mqemitter beyond their documented options: what the broker reads or
// changes of their private state is here, and aedes-adapter.spec.ts fails when an upgrade moves it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@nestjs/common';
import {
  Aedes,
  type AedesPublishPacket,
  type AuthenticateError,
  type Client,
  type ConnectPacket,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis, { type MQEmitterPacket } from 'mqemitter-redis';
import { Topics } from '@simfleet/domain';
import type { RedisConnections } from '@simfleet/queue';
import { IntegrationInterest } from './integration-interest.js';

export type { Client as MqttClient, PublishPacket, Subscription };

/** What a client asked for in its CONNECT, as sent (aedes replaces an empty client id with a generated one). */
export interface ConnectRequest {
  clientId: string;
  clean: boolean;
  protocolVersion: number;
  will: { topic: string; payload: Buffer; qos: number; retain: boolean } | null;
}

export type AuthenticationResult =
  /** `sessionKey` becomes the client's id inside aedes: its session (subscriptions, queued messages, will) is stored under it. */
  | { ok: true; sessionKey: string }
  /** CONNACK return code (2 identifier rejected, 3 server unavailable, 4 bad credentials, 5 not authorized). */
  | { ok: false; returnCode: 2 | 3 | 4 | 5; message: string };

export interface BrokerHooks {
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, request: ConnectRequest): Promise<AuthenticationResult>;
  /** `client` is null for a will of a broker that died, published by a surviving one (its owner is `willOwner`). */
  authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void;
  authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void;
  authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null;
  /** A connection is about to be closed because another connection took its session (same session key). */
  takenOver(client: Client): void;
}

export interface AdapterOptions {
  /** Every broker's heartbeat; a broker silent for 3 of them is dead and its clients' wills are published. */
  heartbeatMs: number;
  /** Packets larger than this are refused at their fixed header, before their body is read. */
  maxPacketBytes: number;
}

// The parser aedes gives each connection (mqtt-packet): its fixed header is parsed by `_parseLength`.
interface PacketParser {
  packet: { length: number; cmd?: string };
  maxPacketBytes?: number;
  _parseLength(): boolean;
  _emitError(error: Error): void;
}
type ParserOwner = { _parser: PacketParser };

// One function for every connection: the limit is read from the parser it is installed on.
function parseLengthWithinLimit(this: PacketParser, parseLength: () => boolean): boolean {
  const parsed = parseLength.call(this);
  if (parsed && this.maxPacketBytes !== undefined && this.packet.length > this.maxPacketBytes) {
    this._emitError(new Error(`${this.packet.cmd ?? 'packet'} of ${this.packet.length} bytes: the limit is ${this.maxPacketBytes}`));
    return false;
  }
  return parsed;
}

type SubscriptionStore = { addSubscriptions(client: Client, subs: Subscription[]): Promise<void> };

/**
 * aedes (1.2) stores a clean=false SUBSCRIBE once per topic of the packet, each time with the whole list;
 * aedes-persistence-redis then waits for its own broadcast under a key made of the client and the first
 * topic, so two concurrent waits share one key, one of them is never woken, and the SUBACK never comes
 * (a device subscribing to /sms and /commands at once hung). The list is stored once per packet.
 */
function storeEachSubscribeOnce(persistence: unknown): unknown {
  const store = persistence as SubscriptionStore;
  const add = store.addSubscriptions.bind(store);
  const stored = new WeakMap<Subscription[], Promise<void>>();
  store.addSubscriptions = (client, subs) => {
    let storing = stored.get(subs);
    if (!storing) {
      storing = add(client, subs);
      stored.set(subs, storing);
    }
    return storing;
  };
  return persistence;
}

/**
 * aedes, and what it is built on: its in-memory defaults, or Redis so that brokers share sessions and
 * messages (aedes-persistence-redis under `<REDIS_PREFIX>:mqtt:`, mqemitter-redis). Records of an account
 * without any integration stay on the broker that received them (IntegrationInterest).
 */
export class AedesAdapter {
  private readonly requests = new WeakMap<Client, ConnectRequest>();
  private aedes!: Aedes;

  private constructor(
    private readonly interest: IntegrationInterest | null,
    private readonly options: AdapterOptions,
  ) {}

  static async create(connections: RedisConnections, hooks: BrokerHooks, options: AdapterOptions, logger: Logger): Promise<AedesAdapter> {
    let adapter: AedesAdapter | undefined = undefined;
    const backends = connections.choose<{ persistence?: unknown; mq?: unknown; interest: IntegrationInterest | null }>({
      local: () => ({ interest: null }),
      redis: (redis) => {
        const interest = new IntegrationInterest(
          redis.open('mqtt:publish', { enableAutoPipelining: true }),
          redis.open('mqtt:announcements'),
          `${redis.prefix}:mqtt:integration-accounts`,
        );
        const mq = mqemitterRedis({
          // Every forwarded publish becomes a Redis PUBLISH: pipelining sends those of one tick in one write.
          pubConn: redis.open('mqtt:publish-shared', { enableAutoPipelining: true }),
          subConn: redis.open('mqtt:subscribe'),
        });
        // mqemitter-redis re-emits its connections' errors on `state`, an emitter with no listener: unhandled,
        // an ECONNREFUSED while Redis restarts ends the process. RedisConnections logs them; reconnects are ioredis'.
        mq.state.on('error', () => undefined);
        // Records of accounts without integrations are delivered on this broker only (no broker could match them).
        const publishToRedis = mq.emit.bind(mq);
        const deliverLocally = mq._emit.bind(mq);
        mq.emit = (packet: MQEmitterPacket, done?: (error?: Error) => void) => {
          const accountId = Topics.accountOf(packet.topic);
          return accountId !== null && !interest.has(accountId) ? deliverLocally(packet, done) : publishToRedis(packet, done);
        };
        // Another broker registered a client with the same id: aedes closes ours. Registered before aedes' own
        // listener, so the connection is marked as taken over before it closes.
        mq.on('$SYS/+/new/clients', (packet: MQEmitterPacket & { payload: Buffer }, done: () => void) => {
          const fromBroker = packet.topic.split('/')[1];
          const local = adapter?.clientById(packet.payload.toString());
          if (local && fromBroker !== adapter!.aedes.id) hooks.takenOver(local);
          done();
        });
        const persistence = aedesPersistenceRedis({ conn: redis.open('mqtt:sessions', { keyPrefix: `${redis.prefix}:mqtt:` }) });
        return { persistence: storeEachSubscribeOnce(persistence), mq, interest };
      },
    });
    await backends.interest?.start();
    const created = new AedesAdapter(backends.interest, options);
    adapter = created;
    const requests = created.requests;
    created.aedes = await Aedes.createBroker({
      persistence: backends.persistence,
      mq: backends.mq,
      heartbeatInterval: options.heartbeatMs,
      // One slow subscriber must not stall the others: give up on a stuck write after this long.
      drainTimeout: 5_000,
      preConnect: (client, packet: ConnectPacket, callback) => {
        requests.set(client, {
          clientId: packet.clientId,
          clean: packet.clean !== false,
          protocolVersion: packet.protocolVersion ?? 4,
          will: packet.will
            ? {
                topic: packet.will.topic,
                payload: Buffer.isBuffer(packet.will.payload) ? packet.will.payload : Buffer.from(packet.will.payload ?? ''),
                qos: packet.will.qos ?? 0,
                retain: packet.will.retain === true,
              }
            : null,
        });
        callback(null, true);
      },
      authenticate: (client, username, password, done) => {
        const request = requests.get(client)!;
        hooks.authenticate(client, username, password, request).then(
          (result) => {
            if (!result.ok) return done(Object.assign(new Error(result.message), { returnCode: result.returnCode }) as AuthenticateError, false);
            // The session belongs to who authenticated: aedes stores it, and takes over a connection, by this id.
            (client as { id: string }).id = result.sessionKey;
            const previous = created.clientById(result.sessionKey);
            if (previous && previous !== client) hooks.takenOver(previous);
            done(null, true);
          },
          (error: unknown) => {
            logger.error(`MQTT authentication failed: ${String(error)}`);
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
          },
        );
      },
      authorizePublish: (client, packet, done) => hooks.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => hooks.authorizeSubscribe(client, subscription, done),
      authorizeForward: (client, packet) => hooks.authorizeForward(client, packet),
    });
    // aedes emits 'error' when its persistence fails (Redis away) outside any client's flow: unhandled, it
    // would end the process. The client concerned is closed by aedes or times out; the broker lives.
    // (aedes' typings omit the event.)
    (created.aedes as unknown as NodeJS.EventEmitter).on('error', (error: Error) => logger.warn(`MQTT broker: ${error.message}`));
    return created;
  }

  get brokerInstanceId(): string {
    return this.aedes.id;
  }

  /** Serves one connection (TCP, TLS or WebSocket stream), with the packet size limit set in its parser. */
  handle(stream: Duplex, request?: IncomingMessage): void {
    const client = this.aedes.handle(stream as Parameters<Aedes['handle']>[0], request) as Client & ParserOwner;
    const parser = client._parser;
    const parseLength = parser._parseLength;
    parser.maxPacketBytes = this.options.maxPacketBytes;
    parser._parseLength = function (this: PacketParser) {
      return parseLengthWithinLimit.call(this, parseLength);
    };
  }

  /** The CONNECT of a client, as it sent it. */
  connectRequest(client: Client): ConnectRequest | undefined {
    return this.requests.get(client);
  }

  /** The session key a persisted will was stored under (its owner's client id inside aedes), if any. */
  willOwner(packet: PublishPacket): string | null {
    const clientId = (packet as PublishPacket & { clientId?: unknown }).clientId;
    return typeof clientId === 'string' ? clientId : null;
  }

  /** aedes sets `_disconnected` only when the client sent DISCONNECT: anything else is a lost connection. */
  sentDisconnect(client: Client): boolean {
    return (client as Client & { _disconnected?: boolean })._disconnected === true;
  }

  /** The granted QoS of one of a client's subscriptions (aedes keeps them on the client, topic → QoS). */
  subscriptionQos(client: Client, topic: string): number | undefined {
    return (client as Client & { subscriptions?: Record<string, { qos: number } | undefined> }).subscriptions?.[topic]?.qos;
  }

  private clientById(id: string): Client | undefined {
    return (this.aedes as unknown as { clients: Record<string, Client | undefined> }).clients[id];
  }

  private clients(): Client[] {
    return Object.values((this.aedes as unknown as { clients: Record<string, Client> }).clients);
  }

  get connectedClients(): number {
    return this.aedes.connectedClients;
  }

  /** aedes unsubscribes a clean=false session's topics as sent; an integration's were stored rewritten. */
  removePersistedSubscriptions(client: Client, topics: string[]): Promise<void> {
    const persistence = (this.aedes as unknown as { persistence: { removeSubscriptions(c: Client, t: string[]): Promise<void> } }).persistence;
    return persistence.removeSubscriptions(client, topics);
  }

  /**
   * Deletes retained messages under a pattern (e.g. refused records a previous version retained): aedes'
   * persistence deletes a retained message when an empty retained one is stored on its topic.
   */
  async purgeRetained(pattern: string): Promise<number> {
    const persistence = (
      this.aedes as unknown as {
        persistence: { createRetainedStream(p: string): AsyncIterable<{ topic: string }>; storeRetained(p: unknown): Promise<void> };
      }
    ).persistence;
    let purged = 0;
    for await (const packet of persistence.createRetainedStream(pattern)) {
      await persistence.storeRetained({ cmd: 'publish', topic: packet.topic, payload: Buffer.alloc(0), qos: 0, retain: true, dup: false });
      purged += 1;
    }
    return purged;
  }

  /** Before an integration's subscription is granted: its account's records must then reach every broker. */
  registerIntegration(accountId: string): Promise<void> {
    return this.interest ? this.interest.register(accountId) : Promise.resolve();
  }

  publish(packet: PublishPacket): Promise<void> {
    return new Promise((resolve, reject) => this.aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  onClientReady(listener: (client: Client) => void): void {
    this.aedes.on('clientReady', listener);
  }

  onClientDisconnect(listener: (client: Client) => void): void {
    this.aedes.on('clientDisconnect', listener);
  }

  onKeepaliveTimeout(listener: (client: Client) => void): void {
    this.aedes.on('keepaliveTimeout', listener);
  }

  onUnsubscribe(listener: (topics: string[], client: Client) => void): void {
    this.aedes.on('unsubscribe', listener);
  }

  /** Listens to the PUBACKs clients send; returns the function that stops listening. */
  onAck(listener: (client: Client) => void): () => void {
    const handler = (_packet: unknown, client: Client) => listener(client);
    this.aedes.on('ack', handler);
    return () => void this.aedes.off('ack', handler);
  }

  /**
   * Closes every client, waits until aedes has unregistered them all (a client's clean-up, dropping its
   * subscriptions and announcing its departure, is asynchronous and must not outlive the Redis connections),
   * then closes aedes and its emitter.
   */
  async close(): Promise<void> {
    for (const client of this.clients()) client.close();
    const deadline = Date.now() + 5_000;
    while (this.aedes.connectedClients > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // The persistence's last commands (a clean session's subscriptions dropped) are queued: let them go out.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
