import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, type DisconnectReason, DOWN_CHANNELS, Topics, UP_CHANNELS, type UpChannel } from '@simfleet/domain';
import {
  DeviceAuthenticator,
  DeviceSessions,
  type DeviceRequest,
  IngestionErrors,
  KEPT_INGESTION_ERRORS,
  IntegrationAuthenticator,
  looksLikeApiKey,
} from '@simfleet/application';
import { Metrics } from '@simfleet/observability';
import { JobQueue } from '@simfleet/queue';
import { createAedesBackends, type AedesBackends } from './aedes-backends.js';
import { ConnectionLog } from './connection-log.js';
import { IngestBuffer } from './ingest-buffer.js';
import { RecordValidator, type RecordProblem } from './record-validator.js';

interface DeviceIdentity {
  kind: 'device';
  iccid: string;
  accountId: string;
  /** Token bucket of the per-device message rate limit. */
  tokens: number;
  refilledAt: number;
  connectionId?: string;
  connectedAt?: string;
  /** Set when the platform (not the device) ends the connection, before closing it. */
  disconnectReason?: DisconnectReason;
}

/** A backend of an account subscribing to its SIMs' telemetry (an API key with the `mqtt` scope). */
interface IntegrationIdentity {
  kind: 'integration';
  accountId: string;
  keyId: string;
}

type Identity = DeviceIdentity | IntegrationIdentity;

// MQTT 3.1.1 CONNACK return codes.
const SERVER_UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

/** Channels an integration may subscribe to, on every SIM of its account (`+`) or one of them. */
const INTEGRATION_CHANNELS = ['sessions', 'location', 'status', 'errors'];

// Accepted records and errors are routed on an account-scoped internal topic (Topics.account); an
// integration's subscription `things/+/sessions` is rewritten to it, so only its own account's SIMs can ever
// match, on any broker (the account is in the topic: nothing to look up when forwarding).
const accountPrefix = Topics.accountPrefix;
const accountTopic = Topics.account;

/** How long refusals are gathered before being kept for diagnostics. */
const ERRORS_FLUSH_MS = 250;

const authError = (returnCode: number, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode }) as AuthenticateError;

/**
 * The MQTT broker of the device contract (docs/mqtt.md): aedes over TCP, WebSocket and optionally TLS,
 * with per-SIM authentication, integration credentials, a topic ACL, payload validation, limits,
 * ingestion into the queue, the connection log, and the connectivity test / reset.
 */
@Injectable()
export class MqttBroker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private aedes?: Aedes;
  private backends?: AedesBackends;
  private readonly servers: Array<TcpServer | HttpServer> = [];
  private wss?: WebSocketServer;
  private readonly identities = new WeakMap<Client, Identity>();
  private readonly devices = new Map<string, Client>();
  private readonly buffer: IngestBuffer;
  private readonly validator: RecordValidator;
  private connections?: ConnectionLog;
  readonly ports: { tcp?: number; ws?: number; tls?: number } = {};
  brokerId = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DeviceAuthenticator) private readonly auth: DeviceAuthenticator,
    @Inject(IntegrationAuthenticator) private readonly integrations: IntegrationAuthenticator,
    @Inject(DeviceSessions) private readonly sessions: DeviceSessions,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(IngestionErrors) private readonly ingestionErrors: IngestionErrors,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.buffer = new IngestBuffer(queue, config.ingest.batchMaxRecords, config.ingest.batchMaxWaitMs);
    this.validator = new RecordValidator(config.telemetry.kind === 'influx' ? config.telemetry.retentionDays : 400);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.backends = createAedesBackends(this.config);
    await this.backends.start();
    const aedes = await Aedes.createBroker({
      ...this.backends.options,
      // One slow subscriber must not stall the others: give up on a stuck write after this long.
      drainTimeout: 5_000,
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    });
    aedes.on('clientReady', (client) => this.onClientReady(client));
    aedes.on('clientDisconnect', (client) => this.onClientDisconnect(client));
    aedes.on('keepaliveTimeout', (client) => {
      const identity = this.identities.get(client);
      if (identity?.kind === 'device') identity.disconnectReason ??= 'keepalive_timeout';
    });
    aedes.on('unsubscribe', (topics, client) => this.onUnsubscribe(topics, client));
    this.aedes = aedes;
    await this.sessions.onDisconnect((iccid, reason) => this.disconnectDevice(iccid, reason));
    await this.sessions.onRequest((iccid, request) => this.handleRequest(iccid, request));

    const tcp = createTcpServer(aedes.handle);
    this.ports.tcp = await this.listen(tcp, this.config.mqtt.port);
    // Stable across restarts on the same host and port, so a restarted broker closes what it left open.
    this.brokerId = this.config.mqtt.brokerId ?? `${hostname()}:${this.ports.tcp}`;
    this.connections = new ConnectionLog(this.queue, this.brokerId, this.logger);
    this.connections.brokerStarted(this.clock.now());
    const http = createHttpServer((_, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n'));
    this.wss = new WebSocketServer({ server: http });
    this.wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
    this.ports.ws = await this.listen(http, this.config.mqtt.wsPort);
    if (this.config.mqtt.tls) {
      const tls = createTlsServer(
        { cert: readFileSync(this.config.mqtt.tls.certFile), key: readFileSync(this.config.mqtt.tls.keyFile) },
        aedes.handle,
      );
      this.ports.tls = await this.listen(tls, this.config.mqtt.tls.port);
    }
    this.logger.log(
      `MQTT broker ${this.brokerId} (${this.backends.kind} sessions) listening: tcp ${this.ports.tcp}, ws ${this.ports.ws}${this.ports.tls ? `, tls ${this.ports.tls}` : ''}`,
    );
  }

  private listen(server: TcpServer | HttpServer, port: number): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.http.host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const secret = password?.toString('utf8') ?? '';
    const refuse = (reason: 'bad_credentials' | 'not_authorized', detail: string) => {
      this.metrics.mqttRefused.inc({ reason });
      done(authError(reason === 'bad_credentials' ? BAD_CREDENTIALS : NOT_AUTHORIZED, detail), false);
    };
    const unavailable = (error: unknown) => {
      this.logger.error(`MQTT authentication failed: ${String(error)}`);
      done(authError(SERVER_UNAVAILABLE, 'server unavailable'), false);
    };
    if (looksLikeApiKey(secret)) {
      this.integrations.authenticate(username, secret).then((result) => {
        if (!result.ok) return refuse(result.reason, result.detail);
        this.identities.set(client, { kind: 'integration', accountId: result.accountId, keyId: result.keyId });
        done(null, true);
      }, unavailable);
      return;
    }
    this.auth.authenticate(username, password).then((result) => {
      if (!result.ok) return refuse(result.reason, result.detail);
      this.identities.set(client, {
        kind: 'device',
        iccid: result.iccid,
        accountId: result.accountId,
        tokens: this.config.mqtt.maxMessagesPerSecond,
        refilledAt: Date.now(),
      });
      done(null, true);
    }, unavailable);
  }

  private onClientReady(client: Client): void {
    this.metrics.mqttConnections.inc();
    const identity = this.identities.get(client);
    if (identity?.kind !== 'device') return;
    const previous = this.devices.get(identity.iccid);
    if (previous && previous !== client) this.kick(previous, 'replaced_by_new_connection');
    this.devices.set(identity.iccid, client);
    identity.connectionId = randomUUID();
    identity.connectedAt = this.clock.now().toISOString();
    this.connections?.record({
      kind: 'connected',
      connectionId: identity.connectionId,
      iccid: identity.iccid,
      accountId: identity.accountId,
      brokerId: this.brokerId,
      clientId: client.id,
      at: identity.connectedAt,
    });
  }

  private onClientDisconnect(client: Client): void {
    this.metrics.mqttConnections.dec();
    const identity = this.identities.get(client);
    if (identity?.kind !== 'device' || !identity.connectionId || !identity.connectedAt) return;
    if (this.devices.get(identity.iccid) === client) this.devices.delete(identity.iccid);
    // aedes sets `_disconnected` only when the client sent DISCONNECT: anything else is a lost connection.
    const clean = (client as Client & { _disconnected?: boolean })._disconnected === true;
    const reason = identity.disconnectReason ?? (clean ? 'client_disconnect' : 'connection_lost');
    this.connections?.record({
      kind: 'disconnected',
      connectionId: identity.connectionId,
      iccid: identity.iccid,
      accountId: identity.accountId,
      brokerId: this.brokerId,
      clientId: client.id,
      connectedAt: identity.connectedAt,
      at: this.clock.now().toISOString(),
      reason,
      detail: null,
    });
  }

  private kick(client: Client, reason: DisconnectReason): void {
    const identity = this.identities.get(client);
    if (identity?.kind === 'device') identity.disconnectReason ??= reason;
    client.close();
  }

  /** Drops a device's connection (the network no longer lets it attach); its reconnects are then refused. */
  disconnectDevice(iccid: string, reason: DisconnectReason): boolean {
    const client = this.devices.get(iccid);
    if (!client) return false;
    this.logger.log(`disconnecting ${iccid}: ${reason}`);
    this.kick(client, reason);
    return true;
  }

  /** Runs on the broker holding the device: a connectivity-test ping, or a reset. */
  private handleRequest(iccid: string, request: DeviceRequest): boolean {
    if (!this.devices.has(iccid)) return false;
    if (request.kind === 'reset') return this.disconnectDevice(iccid, 'kicked_connectivity_reset');
    const payload = Buffer.from(JSON.stringify({ type: 'ping', correlationId: request.correlationId, sentAt: this.clock.now().toISOString() }));
    this.publishToDevice(Topics.down(iccid, 'commands'), payload).catch((error: unknown) =>
      this.logger.warn(`could not send a ping to ${iccid}: ${String(error)}`),
    );
    return true;
  }

  private authorizeSubscribe(
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const identity = this.identities.get(client);
    // `done(null, null)`: SUBACK with the failure code 0x80, the connection stays open.
    const deny = (message: string) => {
      this.metrics.mqttRefused.inc({ reason: 'subscribe_denied' });
      if (identity?.kind === 'device') this.publishErrors(identity, subscription.topic, [{ code: 'subscription_not_allowed', message }]);
      done(null, null);
    };
    if (!identity) return deny('not authenticated');
    if (identity.kind === 'device') {
      const topic = Topics.parse(subscription.topic);
      if (topic && topic.iccid === identity.iccid && (DOWN_CHANNELS as readonly string[]).includes(topic.channel)) return done(null, subscription);
      return deny(`a device subscribes only to ${Topics.down(identity.iccid, 'sms')}, /commands or /errors; ${subscription.topic} is not allowed`);
    }
    // An integration: `things/{+|iccid}/{channel|+}`, or the rewritten form when its persisted session is restored.
    const prefix = accountPrefix(identity.accountId);
    const requested = subscription.topic.startsWith(prefix) ? subscription.topic.slice(prefix.length) : subscription.topic;
    const match = /^things\/([^/#]+)\/([^/#]+)$/.exec(requested);
    if (!match || !(match[2] === '+' || INTEGRATION_CHANNELS.includes(match[2])) || (match[1].includes('+') && match[1] !== '+')) {
      return deny(
        `an integration subscribes to things/+/{sessions|location|status|errors} or things/{iccid}/… of its account; ${subscription.topic} is not allowed`,
      );
    }
    const grant = () =>
      this.backends!.registerIntegration(identity.accountId).then(
        () => {
          subscription.topic = accountTopic(identity.accountId, match[1], match[2]);
          done(null, subscription);
        },
        (error: unknown) => {
          this.logger.warn(`could not register the integration of ${identity.accountId}: ${String(error)}`);
          done(null, null);
        },
      );
    if (match[1] === '+') return void grant();
    this.integrations.ownsSim(identity.accountId, match[1]).then(
      (owned) => (owned ? void grant() : deny(`SIM ${match[1]} is not one of this account's SIMs`)),
      (error: unknown) => {
        this.logger.warn(`could not check a subscription of ${identity.accountId}: ${String(error)}`);
        done(null, null);
      },
    );
  }

  /** aedes unsubscribes the topic as sent; an integration's subscription was stored under its rewritten form. */
  private onUnsubscribe(topics: string[], client: Client): void {
    const identity = this.identities.get(client);
    if (identity?.kind !== 'integration') return;
    const prefix = accountPrefix(identity.accountId);
    const rewritten = topics.filter((t) => t.startsWith('things/')).map((t) => `${prefix}${t}`);
    if (!rewritten.length) return;
    client.unsubscribe({ unsubscriptions: rewritten } as unknown as Subscription[], (error) => {
      if (error) this.logger.warn(`could not unsubscribe ${identity.accountId} from ${rewritten.join(', ')}: ${error.message}`);
    });
    if (!client.clean) {
      const persistence = (this.aedes as unknown as { persistence: { removeSubscriptions(c: Client, t: string[]): Promise<void> } }).persistence;
      persistence
        .removeSubscriptions(client, rewritten)
        .catch((error: unknown) => this.logger.warn(`could not remove persisted subscriptions: ${String(error)}`));
    }
  }

  /** Synchronous, per subscriber: the account is in the internal topic, so no lookup is needed. */
  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const identity = this.identities.get(client);
    if (!identity) return null;
    if (identity.kind === 'device') return packet;
    const prefix = accountPrefix(identity.accountId);
    if (!packet.topic.startsWith(prefix)) return null;
    // A copy: the same packet object is offered to every subscriber.
    return { ...packet, topic: packet.topic.slice(prefix.length) };
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    if (!client) return done(null); // the broker's own publishes (error topic, commands, SMS)
    const identity = this.identities.get(client);
    if (!identity) return done(new Error('not authenticated'));
    if (identity.kind === 'integration') {
      // No negative PUBACK in MQTT 3.1.1: refusing closes the connection, which the integration sees.
      this.metrics.mqttRefused.inc({ reason: 'integration_publish' });
      return done(new Error('an integration credential may subscribe only, never publish'));
    }
    const topic = Topics.parse(packet.topic);
    const channel = topic?.channel as UpChannel | undefined;
    if (!topic || topic.iccid !== identity.iccid || !channel || !UP_CHANNELS.includes(channel)) {
      return this.refuse(
        identity,
        packet,
        done,
        [{ code: 'topic_not_allowed', message: `a device publishes only to ${Topics.up(identity.iccid, 'sessions')}, /location or /status` }],
        'topic_not_allowed',
      );
    }
    if (packet.payload.length > this.config.mqtt.maxPayloadBytes) {
      return this.refuse(
        identity,
        packet,
        done,
        [
          {
            code: 'payload_too_large',
            message: `payload is ${packet.payload.length} bytes; the limit is ${this.config.mqtt.maxPayloadBytes} (MQTT_MAX_PAYLOAD_BYTES)`,
          },
        ],
        'payload_too_large',
      );
    }
    if (!this.takeToken(identity)) {
      return this.refuse(
        identity,
        packet,
        done,
        [
          {
            code: 'rate_limited',
            message: `more than ${this.config.mqtt.maxMessagesPerSecond} messages per second (MQTT_MAX_MESSAGES_PER_SECOND); this message was not accepted, resend it later`,
          },
        ],
        'rate_limited',
      );
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const { envelopes, problems, array } = this.validator.validate(identity, channel, payload, this.clock.now());
    if (problems.length) {
      for (const p of problems) this.metrics.rejectedRecords.inc({ reason: p.code });
      this.publishErrors(identity, packet.topic, problems);
    }
    if (!envelopes.length) {
      packet.topic = Topics.refused(identity.iccid, channel);
      return done(null);
    }
    for (const e of envelopes) {
      if (e.kind === 'status' && e.record.correlationId) {
        this.sessions
          .answered(e.record.correlationId)
          .catch((error: unknown) => this.logger.warn(`could not pass on the answer of ${identity.iccid}: ${String(error)}`));
      }
    }
    this.buffer.submit(envelopes).then(
      () => {
        this.metrics.ingestedRecords.inc({ kind: envelopes[0].kind }, envelopes.length);
        // Forwarded to the account's integrations: only the accepted records, never retained.
        packet.topic = accountTopic(identity.accountId, identity.iccid, channel);
        packet.retain = false;
        if (problems.length) packet.payload = Buffer.from(JSON.stringify(array ? envelopes.map((e) => e.record) : envelopes[0].record));
        done(null);
      },
      (error: unknown) => {
        // Not queued: no PUBACK. Closing the connection makes the device resend the record.
        this.logger.warn(`could not queue records of ${identity.iccid}: ${String(error)}`);
        done(new Error('ingestion unavailable'));
      },
    );
  }

  private refuse(
    identity: DeviceIdentity,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
    problems: RecordProblem[],
    metric: string,
  ): void {
    this.metrics.mqttRefused.inc({ reason: metric });
    this.publishErrors(identity, packet.topic, problems);
    // Acknowledged (MQTT 3.1.1 has no negative PUBACK) but parked on a `$` topic no subscriber receives.
    packet.topic = Topics.refused(identity.iccid, 'refused');
    packet.retain = false;
    done(null);
  }

  private takeToken(identity: DeviceIdentity): boolean {
    const now = Date.now();
    const rate = this.config.mqtt.maxMessagesPerSecond;
    identity.tokens = Math.min(rate, identity.tokens + ((now - identity.refilledAt) / 1000) * rate);
    identity.refilledAt = now;
    if (identity.tokens < 1) return false;
    identity.tokens -= 1;
    return true;
  }

  /** To the device on its error topic, and to its account's integrations. */
  private publishErrors(identity: DeviceIdentity, topic: string, problems: RecordProblem[]): void {
    const payload = Buffer.from(JSON.stringify({ topic, at: this.clock.now().toISOString(), errors: problems }));
    for (const target of [Topics.errors(identity.iccid), accountTopic(identity.accountId, identity.iccid, 'errors')]) {
      this.aedes?.publish({ cmd: 'publish', topic: target, payload, qos: 1, retain: false, dup: false }, (error) => {
        if (error) this.logger.warn(`could not publish an error of ${identity.iccid}: ${error.message}`);
      });
    }
    this.keepForDiagnostics(identity.iccid, topic, problems);
  }

  private readonly unrecordedErrors = new Map<string, { iccid: string; topic: string; problems: RecordProblem[] }>();
  private errorsTimer?: NodeJS.Timeout;

  /**
   * Kept for GET /v1/sims/{iccid}/diagnostics, gathered for a moment so that a device flooding bad or
   * rate-limited messages costs one write per SIM and topic, not one per message. A failure there must
   * not affect the device.
   */
  private keepForDiagnostics(iccid: string, topic: string, problems: RecordProblem[]): void {
    const key = `${iccid}\u0000${topic}`;
    const entry = this.unrecordedErrors.get(key) ?? { iccid, topic, problems: [] };
    entry.problems = [...entry.problems, ...problems].slice(-KEPT_INGESTION_ERRORS);
    this.unrecordedErrors.set(key, entry);
    this.errorsTimer ??= setTimeout(() => this.recordErrors(), ERRORS_FLUSH_MS);
  }

  private recordErrors(): Promise<unknown> {
    clearTimeout(this.errorsTimer);
    this.errorsTimer = undefined;
    const entries = [...this.unrecordedErrors.values()];
    this.unrecordedErrors.clear();
    return Promise.all(
      entries.map(({ iccid, topic, problems }) =>
        this.ingestionErrors
          .recordIngestionErrors(iccid, problems, topic)
          .catch((error: unknown) => this.logger.warn(`could not record ingestion errors of ${iccid}: ${String(error)}`)),
      ),
    );
  }

  /** The connection of a SIM's device on this broker, if any (SMS delivery, apps/broker/src/sms-delivery.ts). */
  deviceConnection(iccid: string): Client | undefined {
    return this.devices.get(iccid);
  }

  /** Listens to the PUBACKs clients of this broker send; returns the function that stops listening. */
  onClientAck(listener: (client: Client) => void): () => void {
    const handler = (_packet: unknown, client: Client) => listener(client);
    this.aedes?.on('ack', handler);
    return () => void this.aedes?.off('ack', handler);
  }

  /** Publishes a message to a device's down topic (SMS, commands). */
  publishToDevice(topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes!.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private stopping?: Promise<void>;

  /** Idempotent: the platform calls it first on shutdown, before the queue drains. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Closes every client and waits until aedes has unregistered them all: a client's clean-up (dropping
   * its subscriptions, announcing its departure) is asynchronous, and must not outlive the Redis
   * connections that aedes.close() ends.
   */
  private async disconnectClients(): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return;
    for (const client of Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)) client.close();
    const deadline = Date.now() + 5_000;
    while (aedes.connectedClients > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setImmediate(resolve));
  }

  private async shutdown(): Promise<void> {
    // Stop accepting, then let queued records reach the queue, then close client connections cleanly.
    // (A server's close callback fires only once its connections end, so it is awaited last.)
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.wss?.close();
    for (const client of this.devices.values()) {
      const identity = this.identities.get(client);
      if (identity?.kind === 'device') identity.disconnectReason ??= 'broker_shutdown';
    }
    await this.buffer.drain();
    await this.disconnectClients();
    await new Promise<void>((resolve) => (this.aedes ? this.aedes.close(() => resolve()) : resolve()));
    await this.recordErrors();
    await this.connections?.drain();
    await this.backends?.close();
    await Promise.all(closed);
  }
}
