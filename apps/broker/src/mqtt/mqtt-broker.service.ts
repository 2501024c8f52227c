import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { AedesPublishPacket } from 'aedes';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, type DisconnectReason, Topics, type UpChannel } from '@simfleet/domain';
import {
  DeviceAuthenticator,
  IngestionErrors,
  IntegrationAuthenticator,
  KEPT_INGESTION_ERRORS,
  looksLikeApiKey,
  type PingAnswer,
} from '@simfleet/application';
import { Metrics } from '@simfleet/observability';
import { JobQueue, RedisConnections } from '@simfleet/queue';
import { IngestBuffer } from '../ingestion/ingest-buffer.js';
import { RecordValidator, type RecordProblem } from '../ingestion/record-validator.js';
import { RefusalDiagnostics } from '../ingestion/refusal-diagnostics.js';
import { DevicePolicy, type DeviceIdentity, type Identity } from '../policy/device-policy.js';
import { MessageRate, SessionRecordMemory, type SessionCounters } from '../policy/message-rate.js';
import {
  AedesAdapter,
  type AuthenticationResult,
  type ConnectRequest,
  type MqttClient,
  type PublishPacket,
  type Subscription,
} from './aedes-adapter.js';
import { ConnectionLog } from './connection-log.js';
import { MqttListeners, type MqttPorts } from './mqtt-listeners.js';

/** What the broker knows of one authenticated connection. */
interface Connection {
  identity: Identity;
  /** Devices only: the message rate limit of this connection. */
  rate?: MessageRate;
  connectionId?: string;
  connectedAt?: string;
  /** Set when the platform (not the device) ends the connection, before closing it. */
  disconnectReason?: DisconnectReason;
}

type Done = (error?: Error | null) => void;

// A packet larger than the largest legitimate one (a payload at the limit, plus a topic of up to 65,535
// bytes and headers) is refused at its fixed header, before its body is read.
const PACKET_OVERHEAD_BYTES = 65_539;

/**
 * The MQTT broker of the device contract (docs/mqtt.md): applies the device policy (DevicePolicy,
 * MessageRate) to aedes (through AedesAdapter, the only code that knows its internals), hands accepted
 * records to the queue (IngestBuffer), and keeps the connection log. The control plane's handlers
 * (control-plane/device-control.controller.ts) act on connections through it.
 */
@Injectable()
export class MqttBroker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private adapter?: AedesAdapter;
  private readonly listeners: MqttListeners;
  private readonly connections = new WeakMap<MqttClient, Connection>();
  private readonly devices = new Map<string, MqttClient>();
  private readonly policy = new DevicePolicy();
  private readonly acceptedSessions = new SessionRecordMemory();
  private readonly buffer: IngestBuffer;
  private readonly validator: RecordValidator;
  private readonly diagnostics: RefusalDiagnostics;
  /** Connectivity-test pings sent by this broker, waiting for the device's answer: correlation id → its SIM and waiter. */
  private readonly pings = new Map<string, { iccid: string; answered(): void }>();
  private log?: ConnectionLog;
  brokerId = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DeviceAuthenticator) private readonly auth: DeviceAuthenticator,
    @Inject(IntegrationAuthenticator) private readonly integrations: IntegrationAuthenticator,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(IngestionErrors) ingestionErrors: IngestionErrors,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(RedisConnections) private readonly redis: RedisConnections,
  ) {
    this.buffer = new IngestBuffer(queue, config.ingest.batchMaxRecords, config.ingest.batchMaxWaitMs);
    this.validator = new RecordValidator(config.telemetry.kind === 'influx' ? config.telemetry.retentionDays : 400);
    this.diagnostics = new RefusalDiagnostics(
      (iccid, problems, topic) => ingestionErrors.recordIngestionErrors(iccid, problems, topic),
      (iccid, error) => this.logger.warn(`could not record ingestion errors of ${iccid}: ${String(error)}`),
      KEPT_INGESTION_ERRORS,
    );
    this.listeners = new MqttListeners(config);
  }

  get ports(): MqttPorts {
    return this.listeners.ports;
  }

  async onApplicationBootstrap(): Promise<void> {
    const adapter = await AedesAdapter.create(
      this.redis,
      {
        authenticate: (client, username, password, request) => this.authenticate(client, username, password, request),
        authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
        authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
        authorizeForward: (client, packet) => this.authorizeForward(client, packet),
        takenOver: (client) => this.markDisconnect(client, 'replaced_by_new_connection'),
      },
      { heartbeatMs: this.config.mqtt.heartbeatMs, maxPacketBytes: this.config.mqtt.maxPayloadBytes + PACKET_OVERHEAD_BYTES },
      this.logger,
    );
    this.adapter = adapter;
    adapter.onClientReady((client) => this.onClientReady(client));
    adapter.onClientDisconnect((client) => this.onClientDisconnect(client));
    adapter.onKeepaliveTimeout((client) => this.markDisconnect(client, 'keepalive_timeout'));
    adapter.onUnsubscribe((topics, client) => this.onUnsubscribe(topics, client));
    // Refused records are never retained (docs/mqtt.md); earlier versions retained a refused retained publish.
    const purged = await adapter.purgeRetained('$simfleet/#');
    if (purged) this.logger.log(`deleted ${purged} retained messages under $simfleet/ (refused records kept by an earlier version)`);

    await this.listeners.start((stream, request) => adapter.handle(stream, request));
    // Stable across restarts on the same host and port, so a restarted broker closes what it left open.
    this.brokerId = this.config.mqtt.brokerId ?? `${hostname()}:${this.ports.tcp}`;
    this.log = new ConnectionLog(this.queue, this.brokerId, this.logger);
    this.log.brokerStarted(this.clock.now());
    this.logger.log(
      `MQTT broker ${this.brokerId} (${this.redis.enabled ? 'Redis' : 'in-memory'} sessions) listening: tcp ${this.ports.tcp}, ws ${this.ports.ws}${this.ports.tls ? `, tls ${this.ports.tls}` : ''}`,
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // Connections

  private async authenticate(
    client: MqttClient,
    username: string | undefined,
    password: Buffer | undefined,
    request: ConnectRequest,
  ): Promise<AuthenticationResult> {
    const refuse = (reason: string, returnCode: 2 | 3 | 4 | 5, message: string): AuthenticationResult => {
      this.metrics.mqttRefused.inc({ reason });
      return { ok: false, returnCode, message };
    };
    // Without Redis the session cannot be restored nor the records queued: say so rather than half-connect.
    if (this.redis.enabled && !this.redis.ready) return refuse('server_unavailable', 3, 'server unavailable: Redis is unreachable, retry later');
    if (username !== undefined && this.policy.malformed(username))
      return refuse('bad_credentials', 4, 'the username holds U+0000 or ill-formed UTF-8');
    const secret = password?.toString('utf8') ?? '';
    let identity: Identity;
    if (looksLikeApiKey(secret)) {
      const result = await this.integrations.authenticate(username, secret);
      if (!result.ok) return refuse(result.reason, result.reason === 'bad_credentials' ? 4 : 5, result.detail);
      identity = { kind: 'integration', accountId: result.accountId, keyId: result.keyId };
    } else {
      const result = await this.auth.authenticate(username, password);
      if (!result.ok) return refuse(result.reason, result.reason === 'bad_credentials' ? 4 : 5, result.detail);
      identity = { kind: 'device', iccid: result.iccid, accountId: result.accountId };
    }
    const refusal = this.policy.checkConnect(identity, request);
    if (refusal) return refuse(refusal.reason, refusal.returnCode, refusal.message);
    this.connections.set(client, {
      identity,
      rate: identity.kind === 'device' ? new MessageRate(this.config.mqtt.maxMessagesPerSecond, Date.now()) : undefined,
    });
    // An empty client id (clean session only) was replaced by aedes with a generated one.
    return { ok: true, sessionKey: this.policy.sessionKey(identity, request.clientId || client.id) };
  }

  private onClientReady(client: MqttClient): void {
    this.metrics.mqttConnections.inc();
    const connection = this.connections.get(client);
    if (connection?.identity.kind !== 'device') return;
    const { iccid, accountId } = connection.identity;
    const previous = this.devices.get(iccid);
    if (previous && previous !== client) this.kick(previous, 'replaced_by_new_connection');
    this.devices.set(iccid, client);
    connection.connectionId = randomUUID();
    connection.connectedAt = this.clock.now().toISOString();
    this.log?.record({
      kind: 'connected',
      connectionId: connection.connectionId,
      iccid,
      accountId,
      brokerId: this.brokerId,
      clientId: this.requestedClientId(client),
      at: connection.connectedAt,
    });
  }

  private onClientDisconnect(client: MqttClient): void {
    this.metrics.mqttConnections.dec();
    const connection = this.connections.get(client);
    if (connection?.identity.kind !== 'device' || !connection.connectionId || !connection.connectedAt) return;
    const { iccid, accountId } = connection.identity;
    if (this.devices.get(iccid) === client) this.devices.delete(iccid);
    const sentDisconnect = this.adapter?.sentDisconnect(client) === true;
    this.log?.record({
      kind: 'disconnected',
      connectionId: connection.connectionId,
      iccid,
      accountId,
      brokerId: this.brokerId,
      clientId: this.requestedClientId(client),
      connectedAt: connection.connectedAt,
      at: this.clock.now().toISOString(),
      reason: connection.disconnectReason ?? (sentDisconnect ? 'client_disconnect' : 'connection_lost'),
      detail: null,
    });
  }

  /** The client id the device sent (inside aedes its session key is used). */
  private requestedClientId(client: MqttClient): string {
    return this.adapter?.connectRequest(client)?.clientId || client.id;
  }

  private markDisconnect(client: MqttClient, reason: DisconnectReason): void {
    const connection = this.connections.get(client);
    if (connection) connection.disconnectReason ??= reason;
  }

  private kick(client: MqttClient, reason: DisconnectReason): void {
    this.markDisconnect(client, reason);
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

  /** The connection of a SIM's device on this broker, if any (SMS delivery). */
  deviceConnection(iccid: string): MqttClient | undefined {
    return this.devices.get(iccid);
  }

  subscriptionQos(client: MqttClient, topic: string): number | undefined {
    return this.adapter?.subscriptionQos(client, topic);
  }

  /** Listens to the PUBACKs clients of this broker send; returns the function that stops listening. */
  onClientAck(listener: (client: MqttClient) => void): () => void {
    return this.adapter ? this.adapter.onAck(listener) : () => undefined;
  }

  /** A connectivity-test ping on the device's commands topic, and its answer on its status topic (same correlation id). */
  async ping(iccid: string, correlationId: string, timeoutMs: number): Promise<PingAnswer> {
    if (!this.devices.has(iccid)) return { result: 'absent' };
    const sentAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<boolean>((resolve) => {
      const settle = (answer: boolean) => {
        clearTimeout(timer);
        this.pings.delete(correlationId);
        resolve(answer);
      };
      // Waiting before sending: a fast device may answer before the publish callback returns.
      this.pings.set(correlationId, { iccid, answered: () => settle(true) });
      timer = setTimeout(() => settle(false), timeoutMs);
    });
    const payload = Buffer.from(JSON.stringify({ type: 'ping', correlationId, sentAt: this.clock.now().toISOString() }));
    await this.publishToDevice(Topics.down(iccid, 'commands'), payload);
    return (await answered) ? { result: 'answered', roundTripMs: Math.round(performance.now() - sentAt) } : { result: 'timeout' };
  }

  /** Publishes a message to a device's down topic (SMS, commands). */
  publishToDevice(topic: string, payload: Buffer): Promise<void> {
    return this.adapter!.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false });
  }

  // ---------------------------------------------------------------------------------------------------
  // Subscriptions and deliveries

  private authorizeSubscribe(
    client: MqttClient,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    // Ill-formed UTF-8 or U+0000 closes the connection [MQTT-1.5.3-1, MQTT-1.5.3-2].
    if (this.policy.malformed(subscription.topic)) return done(new Error('topic filter holds U+0000 or ill-formed UTF-8'));
    const identity = this.connections.get(client)?.identity;
    // `done(null, null)`: SUBACK with the failure code 0x80, the connection stays open.
    const deny = (message: string) => {
      this.metrics.mqttRefused.inc({ reason: 'subscribe_denied' });
      if (identity?.kind === 'device') this.publishErrors(identity, subscription.topic, null, [{ code: 'subscription_not_allowed', message }]);
      done(null, null);
    };
    if (!identity) return deny('not authenticated');
    if (identity.kind === 'device') {
      if (this.policy.deviceMaySubscribe(identity, subscription.topic)) return done(null, subscription);
      return deny(`a device subscribes only to ${Topics.down(identity.iccid, 'sms')}, /commands or /errors; ${subscription.topic} is not allowed`);
    }
    const granted = this.policy.integrationSubscription(identity, subscription.topic);
    if (!granted) {
      return deny(
        `an integration subscribes to things/+/{sessions|location|status|errors} or things/{iccid}/… of its account; ${subscription.topic} is not allowed`,
      );
    }
    const grant = () =>
      this.adapter!.registerIntegration(identity.accountId).then(
        () => done(null, { ...subscription, topic: granted.topic }),
        (error: unknown) => {
          this.logger.warn(`could not register the integration of ${identity.accountId}: ${String(error)}`);
          done(null, null);
        },
      );
    if (granted.sim === null) return void grant();
    this.integrations.ownsSim(identity.accountId, granted.sim).then(
      (owned) => (owned ? void grant() : deny(`SIM ${granted.sim} is not one of this account's SIMs`)),
      (error: unknown) => {
        this.logger.warn(`could not check a subscription of ${identity.accountId}: ${String(error)}`);
        done(null, null);
      },
    );
  }

  /** aedes unsubscribes the topic as sent; an integration's subscription was stored under its rewritten form. */
  private onUnsubscribe(topics: string[], client: MqttClient): void {
    const identity = this.connections.get(client)?.identity;
    if (identity?.kind !== 'integration') return;
    const prefix = Topics.accountPrefix(identity.accountId);
    const rewritten = topics.filter((t) => t.startsWith('things/')).map((t) => `${prefix}${t}`);
    if (!rewritten.length) return;
    client.unsubscribe({ unsubscriptions: rewritten } as unknown as Subscription[], (error) => {
      if (error) this.logger.warn(`could not unsubscribe ${identity.accountId} from ${rewritten.join(', ')}: ${error.message}`);
    });
    if (!client.clean) {
      this.adapter!.removePersistedSubscriptions(client, rewritten).catch((error: unknown) =>
        this.logger.warn(`could not remove persisted subscriptions: ${String(error)}`),
      );
    }
  }

  /** Synchronous, per subscriber and per delivery (queued ones too): the device policy decides. */
  private authorizeForward(client: MqttClient, packet: AedesPublishPacket): AedesPublishPacket | null {
    const identity = this.connections.get(client)?.identity;
    if (!identity) return null;
    const fromClient = typeof (packet as { clientId?: unknown }).clientId === 'string';
    const topic = this.policy.forwardedTopic(identity, packet.topic, fromClient);
    if (topic === null) return null;
    // A copy: the same packet object is offered to every subscriber.
    return topic === packet.topic ? packet : { ...packet, topic };
  }

  // ---------------------------------------------------------------------------------------------------
  // Publishes

  private authorizePublish(client: MqttClient | null, packet: PublishPacket, done: Done): void {
    if (!client) return this.authorizeOrphanWill(packet, done);
    // Ill-formed UTF-8 or U+0000 closes the connection [MQTT-1.5.3-1, MQTT-1.5.3-2]: no PUBACK.
    if (this.policy.malformed(packet.topic)) {
      this.metrics.mqttRefused.inc({ reason: 'malformed_topic' });
      return done(new Error('topic holds U+0000 or ill-formed UTF-8'));
    }
    const connection = this.connections.get(client);
    if (!connection) return done(new Error('not authenticated'));
    if (connection.identity.kind === 'integration') {
      // No negative PUBACK in MQTT 3.1.1: refusing closes the connection, which the integration sees.
      this.metrics.mqttRefused.inc({ reason: 'integration_publish' });
      return done(new Error('an integration credential may subscribe only, never publish'));
    }
    this.ingest(connection.identity, connection.rate ?? null, packet, done);
  }

  /**
   * A will whose broker died, published by this one with no connection to ask (aedes passes no client):
   * checked like the publish of its owner, the SIM named by the session key it was stored under, as that
   * SIM is now. Anything else is not published (parked on a `$` topic nobody receives, so that aedes
   * deletes it) and counted.
   */
  private authorizeOrphanWill(packet: PublishPacket, done: Done): void {
    const drop = (why: string) => {
      this.metrics.mqttRefused.inc({ reason: 'will_refused' });
      this.logger.warn(`a will of a broker that stopped was not published: ${why}`);
      packet.topic = Topics.refused('wills', 'refused');
      packet.retain = false;
      packet.qos = 0;
      done(null);
    };
    const owner = this.policy.ownerOfSession(this.adapter?.willOwner(packet) ?? '');
    if (!owner || owner.kind !== 'device') return drop('it belongs to no device session');
    if (this.policy.malformed(packet.topic)) return drop('its topic holds U+0000 or ill-formed UTF-8');
    this.auth.simOf(owner.iccid).then(
      (sim) => {
        if (!sim?.mayConnect) return drop(`SIM ${owner.iccid} may no longer connect`);
        const identity: DeviceIdentity = { kind: 'device', iccid: sim.iccid, accountId: sim.accountId };
        if (!this.policy.publishChannel(identity, packet.topic)) return drop(`${packet.topic} is not an up topic of SIM ${sim.iccid}`);
        this.ingest(identity, null, packet, done);
      },
      // Not published now; aedes tries again at its next check.
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** A device's publish: the topic ACL, the size and rate limits, validation, then the queue before the PUBACK. */
  private ingest(identity: DeviceIdentity, rate: MessageRate | null, packet: PublishPacket, done: Done): void {
    const messageId = packet.qos > 0 && packet.messageId !== undefined ? packet.messageId : null;
    const refuse = (problems: RecordProblem[], metric: string) => {
      this.metrics.mqttRefused.inc({ reason: metric });
      this.publishErrors(identity, packet.topic, messageId, problems);
      // Acknowledged (MQTT 3.1.1 has no negative PUBACK) but parked on a `$` topic no subscriber receives, never retained.
      packet.topic = Topics.refused(identity.iccid, 'refused');
      packet.retain = false;
      done(null);
    };
    const channel = this.policy.publishChannel(identity, packet.topic);
    if (!channel) {
      return refuse(
        [{ code: 'topic_not_allowed', message: `a device publishes only to ${Topics.up(identity.iccid, 'sessions')}, /location or /status` }],
        'topic_not_allowed',
      );
    }
    if (packet.payload.length > this.config.mqtt.maxPayloadBytes) {
      const message = `payload is ${packet.payload.length} bytes; the limit is ${this.config.mqtt.maxPayloadBytes} (MQTT_MAX_PAYLOAD_BYTES)`;
      return refuse([{ code: 'payload_too_large', message }], 'payload_too_large');
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const { envelopes, problems, array } = this.validator.validate(identity, channel, payload, this.clock.now());
    const sessions = channel === 'sessions' ? envelopes.map((e) => e.record as SessionCounters) : [];
    if (rate) {
      const kind = packet.dup ? 'retransmission' : this.acceptedSessions.alreadyAccepted(identity.iccid, sessions) ? 'known-records' : 'new';
      if (!rate.admit(Date.now(), kind)) {
        const sessionIds = [...sessions.map((s) => s.sessionId), ...problems.map((p) => p.sessionId).filter((id): id is string => id !== undefined)];
        const message = `more than ${this.config.mqtt.maxMessagesPerSecond} messages per second (MQTT_MAX_MESSAGES_PER_SECOND); this message was not accepted, resend it later`;
        return refuse([{ code: 'rate_limited', message, ...(sessionIds.length ? { sessionIds } : {}) }], 'rate_limited');
      }
    }
    if (problems.length) {
      for (const p of problems) this.metrics.rejectedRecords.inc({ reason: p.code });
      this.publishErrors(identity, packet.topic, messageId, problems);
    }
    if (!envelopes.length) {
      packet.topic = Topics.refused(identity.iccid, channel);
      packet.retain = false;
      return done(null);
    }
    for (const e of envelopes) {
      const correlationId = e.kind === 'status' ? e.record.correlationId : undefined;
      const ping = correlationId ? this.pings.get(correlationId) : undefined;
      if (ping?.iccid === identity.iccid) ping.answered();
    }
    this.buffer.submit(envelopes).then(
      () => {
        this.metrics.ingestedRecords.inc({ kind: envelopes[0].kind }, envelopes.length);
        if (sessions.length) this.acceptedSessions.remember(identity.iccid, sessions);
        // Forwarded to the account's integrations: only the accepted records, never retained.
        packet.topic = Topics.account(identity.accountId, identity.iccid, channel satisfies UpChannel);
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

  /**
   * To the device on its error topic, and to its account's integrations; each names what was refused: the
   * message's packet id (QoS 1/2) and, per record, its index and session id.
   */
  private publishErrors(identity: DeviceIdentity, topic: string, messageId: number | null, problems: RecordProblem[]): void {
    const payload = Buffer.from(JSON.stringify({ topic, messageId, at: this.clock.now().toISOString(), errors: problems }));
    for (const target of [Topics.errors(identity.iccid), Topics.account(identity.accountId, identity.iccid, 'errors')]) {
      this.adapter?.publish({ cmd: 'publish', topic: target, payload, qos: 1, retain: false, dup: false }).catch((error: unknown) => {
        this.logger.warn(`could not publish an error of ${identity.iccid}: ${String(error)}`);
      });
    }
    this.diagnostics.add(identity.iccid, topic, messageId === null ? problems : problems.map((p) => ({ ...p, messageId })));
  }

  // ---------------------------------------------------------------------------------------------------
  // Shutdown

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private stopping?: Promise<void>;

  /** Idempotent: the platform calls it first on shutdown, before the queue drains. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // Stop accepting, then let acknowledged records reach the queue, then close client connections cleanly.
    const stopped = this.listeners.stopAccepting();
    for (const client of this.devices.values()) this.markDisconnect(client, 'broker_shutdown');
    await this.buffer.drain();
    await this.adapter?.close();
    await this.diagnostics.flush();
    await this.log?.drain();
    // A listener's close resolves once its connections ended: last.
    await stopped;
  }
}
