import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/src/index.js';
import { DeviceAuthenticator } from '../../../libs/application/src/telemetry/device-authenticator.js';
import { DeviceSessions } from '../../../libs/application/src/telemetry/device-sessions.js';
import { Metrics } from '../../../libs/observability/src/metrics.js';
import { JobQueue } from '../../../libs/queue/src/job-queue.js';
import { DOWN_CHANNELS, Topics, UP_CHANNELS, type UpChannel } from '../../../libs/domain/src/telemetry/topics.js';
import { IngestBuffer } from './ingest-buffer.js';
import { RecordValidator, type RecordProblem } from './record-validator.js';

interface DeviceIdentity {
  kind: 'device';
  iccid: string;
  accountId: string;
  /** Token bucket of the per-device message rate limit. */
  tokens: number;
  refilledAt: number;
}

// MQTT 3.1.1 CONNACK return codes.
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

const authError = (returnCode: number, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode }) as AuthenticateError;

/**
 * The MQTT broker of the device contract (docs/mqtt.md): aedes over TCP, WebSocket and optionally TLS,
 * with per-SIM authentication, a topic ACL, payload validation, limits, and ingestion into the queue.
 */
@Injectable()
export class MqttBroker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private aedes?: Aedes;
  private readonly servers: Array<TcpServer | HttpServer> = [];
  private wss?: WebSocketServer;
  private readonly identities = new WeakMap<Client, DeviceIdentity>();
  private readonly devices = new Map<string, Client>();
  private readonly buffer: IngestBuffer;
  private readonly validator: RecordValidator;
  readonly ports: { tcp?: number; ws?: number; tls?: number } = {};

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DeviceAuthenticator) private readonly auth: DeviceAuthenticator,
    @Inject(DeviceSessions) private readonly sessions: DeviceSessions,
    @Inject(JobQueue) queue: JobQueue,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {
    this.buffer = new IngestBuffer(queue, config.ingest.batchMaxRecords, config.ingest.batchMaxWaitMs);
    this.validator = new RecordValidator(config.telemetry.kind === 'influx' ? config.telemetry.retentionDays : 400);
  }

  async onApplicationBootstrap(): Promise<void> {
    const aedes = await Aedes.createBroker({
      // One slow subscriber must not stall the others: give up on a stuck write after this long.
      drainTimeout: 5_000,
      authenticate: (client, username, password, done) => {
        this.auth.authenticate(username, password).then(
          (result) => {
            if (!result.ok) {
              this.metrics.mqttRefused.inc({ reason: result.reason });
              return done(authError(result.reason === 'bad_credentials' ? BAD_CREDENTIALS : NOT_AUTHORIZED, result.detail), false);
            }
            this.identities.set(client, { kind: 'device', iccid: result.iccid, accountId: result.accountId, tokens: this.config.mqtt.maxMessagesPerSecond, refilledAt: Date.now() });
            done(null, true);
          },
          (error: unknown) => {
            this.logger.error(`device authentication failed: ${String(error)}`);
            done(authError(3, 'server unavailable'), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
    });
    aedes.on('clientReady', (client) => {
      const identity = this.identities.get(client);
      if (identity) {
        this.devices.get(identity.iccid)?.close();
        this.devices.set(identity.iccid, client);
      }
      this.metrics.mqttConnections.inc();
    });
    aedes.on('clientDisconnect', (client) => {
      const identity = this.identities.get(client);
      if (identity && this.devices.get(identity.iccid) === client) this.devices.delete(identity.iccid);
      this.metrics.mqttConnections.dec();
    });
    this.aedes = aedes;
    await this.sessions.onDisconnect((iccid, reason) => this.disconnectDevice(iccid, reason));

    const tcp = createTcpServer(aedes.handle);
    this.ports.tcp = await this.listen(tcp, this.config.mqtt.port);
    const http = createHttpServer((_, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n'));
    this.wss = new WebSocketServer({ server: http });
    this.wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
    this.ports.ws = await this.listen(http, this.config.mqtt.wsPort);
    if (this.config.mqtt.tls) {
      const tls = createTlsServer({ cert: readFileSync(this.config.mqtt.tls.certFile), key: readFileSync(this.config.mqtt.tls.keyFile) }, aedes.handle);
      this.ports.tls = await this.listen(tls, this.config.mqtt.tls.port);
    }
    this.logger.log(`MQTT listening: tcp ${this.ports.tcp}, ws ${this.ports.ws}${this.ports.tls ? `, tls ${this.ports.tls}` : ''}`);
  }

  private listen(server: TcpServer | HttpServer, port: number): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.http.host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  /** Drops a device's connection (the network no longer lets it attach); its reconnects are then refused. */
  disconnectDevice(iccid: string, reason: string): void {
    const client = this.devices.get(iccid);
    if (!client) return;
    this.logger.log(`disconnecting ${iccid}: ${reason}`);
    client.close();
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const identity = this.identities.get(client);
    const topic = Topics.parse(subscription.topic);
    if (identity && topic && topic.iccid === identity.iccid && (DOWN_CHANNELS as readonly string[]).includes(topic.channel)) return done(null, subscription);
    this.metrics.mqttRefused.inc({ reason: 'subscribe_denied' });
    done(new Error(`subscription to ${subscription.topic} is not allowed`));
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    if (!client) return done(null); // the broker's own publishes (error topic, SMS)
    const identity = this.identities.get(client);
    if (!identity) return done(new Error('not authenticated'));
    const topic = Topics.parse(packet.topic);
    const channel = topic?.channel as UpChannel | undefined;
    if (!topic || topic.iccid !== identity.iccid || !channel || !UP_CHANNELS.includes(channel)) {
      return this.refuse(identity, packet, done, [{ code: 'topic_not_allowed', message: `a device publishes only to ${Topics.up(identity.iccid, 'sessions')}, /location or /status` }], 'topic_not_allowed');
    }
    if (packet.payload.length > this.config.mqtt.maxPayloadBytes) {
      return this.refuse(identity, packet, done, [{ code: 'payload_too_large', message: `payload is ${packet.payload.length} bytes; the limit is ${this.config.mqtt.maxPayloadBytes}` }], 'payload_too_large');
    }
    if (!this.takeToken(identity)) {
      return this.refuse(identity, packet, done, [{ code: 'rate_limited', message: `more than ${this.config.mqtt.maxMessagesPerSecond} messages per second; this message was not accepted, resend it later` }], 'rate_limited');
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const { envelopes, problems } = this.validator.validate(identity, channel, payload, new Date());
    if (problems.length) {
      for (const p of problems) this.metrics.rejectedRecords.inc({ reason: p.code });
      this.publishErrors(identity.iccid, packet.topic, problems);
    }
    if (!envelopes.length) {
      packet.topic = Topics.refused(identity.iccid, channel);
      return done(null);
    }
    this.buffer.submit(envelopes).then(
      () => {
        this.metrics.ingestedRecords.inc({ kind: envelopes[0].kind }, envelopes.length);
        done(null);
      },
      (error: unknown) => {
        // Not queued: no PUBACK. Closing the connection makes the device resend the record.
        this.logger.warn(`could not queue records of ${identity.iccid}: ${String(error)}`);
        done(new Error('ingestion unavailable'));
      },
    );
  }

  private refuse(identity: DeviceIdentity, packet: PublishPacket, done: (error?: Error | null) => void, problems: RecordProblem[], metric: string): void {
    this.metrics.mqttRefused.inc({ reason: metric });
    this.publishErrors(identity.iccid, packet.topic, problems);
    // Acknowledged (MQTT 3.1.1 has no negative PUBACK) but parked on a `$` topic no subscriber receives.
    packet.topic = Topics.refused(identity.iccid, 'refused');
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

  private publishErrors(iccid: string, topic: string, problems: RecordProblem[]): void {
    const payload = Buffer.from(JSON.stringify({ topic, at: new Date().toISOString(), errors: problems }));
    this.aedes?.publish({ cmd: 'publish', topic: Topics.errors(iccid), payload, qos: 1, retain: false, dup: false }, (error) => {
      if (error) this.logger.warn(`could not publish an error to ${iccid}: ${error.message}`);
    });
  }

  /** Publishes a message to a device's down topic (SMS, commands). */
  publishToDevice(topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes!.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Stop accepting, then let queued records reach the queue, then close client connections cleanly.
    // (A server's close callback fires only once its connections end, so it is awaited last.)
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.wss?.close();
    await this.buffer.drain();
    await new Promise<void>((resolve) => (this.aedes ? this.aedes.close(() => resolve()) : resolve()));
    await Promise.all(closed);
  }
}
