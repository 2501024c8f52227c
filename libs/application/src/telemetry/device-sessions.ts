import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { KickReason } from '@simfleet/domain';
import { closeRedis } from '@simfleet/queue';

export type DisconnectListener = (iccid: string, reason: KickReason) => void;

/** What the API asks of the broker holding a device's connection. */
export type DeviceRequest = { kind: 'ping'; correlationId: string } | { kind: 'reset' };
/** Runs on every broker; returns true when this broker holds the device's connection and carried the request out. */
export type DeviceRequestHandler = (iccid: string, request: DeviceRequest) => boolean;

/**
 * The channel between the API/lifecycle and the brokers holding device connections: disconnect orders
 * (suspension, termination, block, new credentials), requests answered by the broker holding the device
 * (connectivity test ping, reset) and the device's answers to a ping. In-process in the embedded shape;
 * over Redis pub/sub when brokers run as separate processes.
 */
export abstract class DeviceSessions {
  /** Every broker drops the device's connection (fire and forget). */
  abstract disconnect(iccid: string, reason: KickReason): Promise<void>;
  /** The same for many devices at once (a bulk job's chunk): one message to the brokers, not one per device. */
  abstract disconnectMany(iccids: readonly string[], reason: KickReason): Promise<void>;
  abstract onDisconnect(listener: DisconnectListener): Promise<void>;
  /** Resolves true once a broker holding the device's connection carried the request out; false (offline) after `ackTimeoutMs`. */
  abstract request(iccid: string, request: DeviceRequest, ackTimeoutMs: number): Promise<boolean>;
  abstract onRequest(handler: DeviceRequestHandler): Promise<void>;
  /** A broker saw a device answer carrying this correlation id. */
  abstract answered(correlationId: string): Promise<void>;
  /**
   * Starts listening for the answer to `correlationId` (before the ping is sent, so it cannot be missed).
   * `answer` resolves true when it arrives, false after `timeoutMs`.
   */
  abstract expectAnswer(correlationId: string, timeoutMs: number): Promise<{ answer: Promise<boolean>; cancel(): void }>;
  abstract close(): Promise<void>;
}

/** Waiters for answers, shared by both implementations. */
class AnswerWaiters {
  private readonly waiters = new Map<string, (answered: boolean) => void>();

  expect(correlationId: string, timeoutMs: number): { answer: Promise<boolean>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<boolean>((resolve) => {
      const settle = (answered: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(correlationId);
        resolve(answered);
      };
      this.waiters.set(correlationId, settle);
      timer = setTimeout(() => settle(false), timeoutMs);
    });
    return { answer, cancel: () => this.waiters.get(correlationId)?.(false) };
  }

  answered(correlationId: string): void {
    this.waiters.get(correlationId)?.(true);
  }

  clear(): void {
    for (const settle of [...this.waiters.values()]) settle(false);
  }
}

export class LocalDeviceSessions extends DeviceSessions {
  private readonly emitter = new EventEmitter();
  private readonly handlers: DeviceRequestHandler[] = [];
  private readonly waiters = new AnswerWaiters();

  async disconnect(iccid: string, reason: KickReason): Promise<void> {
    this.emitter.emit('disconnect', iccid, reason);
  }

  async disconnectMany(iccids: readonly string[], reason: KickReason): Promise<void> {
    for (const iccid of iccids) this.emitter.emit('disconnect', iccid, reason);
  }

  async onDisconnect(listener: DisconnectListener): Promise<void> {
    this.emitter.on('disconnect', listener);
  }

  async request(iccid: string, request: DeviceRequest): Promise<boolean> {
    // Every handler runs (not `some`): only the one holding the device acts, the others return false.
    return this.handlers.map((handle) => handle(iccid, request)).includes(true);
  }

  async onRequest(handler: DeviceRequestHandler): Promise<void> {
    this.handlers.push(handler);
  }

  async answered(correlationId: string): Promise<void> {
    this.waiters.answered(correlationId);
  }

  async expectAnswer(correlationId: string, timeoutMs: number): Promise<{ answer: Promise<boolean>; cancel(): void }> {
    return this.waiters.expect(correlationId, timeoutMs);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    this.handlers.length = 0;
    this.waiters.clear();
  }
}

interface RequestMessage {
  requestId: string;
  iccid: string;
  request: DeviceRequest;
}

export class RedisDeviceSessions extends DeviceSessions {
  private readonly publisher: Redis;
  private subscriber?: Redis;
  private subscribed = new Map<string, Promise<unknown>>();
  private readonly channels: { disconnect: string; requests: string; acks: string; answers: string };
  private readonly listeners = new Map<string, Array<(message: string) => void>>();
  private readonly acks = new Map<string, () => void>();
  private readonly waiters = new AnswerWaiters();
  private readonly logger = new Logger('DeviceSessions');

  constructor(
    private readonly redisUrl: string,
    prefix: string,
  ) {
    super();
    this.channels = {
      disconnect: `${prefix}:device-disconnect`,
      requests: `${prefix}:device-requests`,
      acks: `${prefix}:device-request-acks`,
      answers: `${prefix}:device-answers`,
    };
    this.publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  }

  /** One subscriber connection for every channel; resolves once Redis confirmed the subscription. */
  private listen(channel: string, listener: (message: string) => void): Promise<unknown> {
    if (!this.subscriber) {
      this.subscriber = new Redis(this.redisUrl);
      this.subscriber.on('message', (from: string, message: string) => {
        for (const l of this.listeners.get(from) ?? []) l(message);
      });
    }
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    let subscribed = this.subscribed.get(channel);
    if (!subscribed) {
      subscribed = this.subscriber.subscribe(channel);
      this.subscribed.set(channel, subscribed);
    }
    return subscribed;
  }

  async disconnect(iccid: string, reason: KickReason): Promise<void> {
    await this.publisher.publish(this.channels.disconnect, JSON.stringify({ iccid, reason }));
  }

  async disconnectMany(iccids: readonly string[], reason: KickReason): Promise<void> {
    if (iccids.length) await this.publisher.publish(this.channels.disconnect, JSON.stringify({ iccids, reason }));
  }

  async onDisconnect(listener: DisconnectListener): Promise<void> {
    await this.listen(this.channels.disconnect, (message) => {
      const order = JSON.parse(message) as { iccid: string; reason: KickReason } | { iccids: string[]; reason: KickReason };
      for (const iccid of 'iccids' in order ? order.iccids : [order.iccid]) listener(iccid, order.reason);
    });
  }

  private ackListening?: Promise<unknown>;

  async request(iccid: string, request: DeviceRequest, ackTimeoutMs: number): Promise<boolean> {
    this.ackListening ??= this.listen(this.channels.acks, (message) => this.acks.get(message)?.());
    await this.ackListening;
    const requestId = randomUUID();
    // No broker answers for a device none of them holds: the timeout means offline.
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), ackTimeoutMs);
      const settle = (value: boolean) => {
        clearTimeout(timer);
        this.acks.delete(requestId);
        resolve(value);
      };
      this.acks.set(requestId, () => settle(true));
    });
    await this.publisher.publish(this.channels.requests, JSON.stringify({ requestId, iccid, request } satisfies RequestMessage));
    return acked;
  }

  async onRequest(handler: DeviceRequestHandler): Promise<void> {
    await this.listen(this.channels.requests, (message) => {
      const { requestId, iccid, request } = JSON.parse(message) as RequestMessage;
      if (!handler(iccid, request)) return;
      this.publisher
        .publish(this.channels.acks, requestId)
        .catch((error: unknown) => this.logger.warn(`could not acknowledge a device request: ${String(error)}`));
    });
  }

  async answered(correlationId: string): Promise<void> {
    await this.publisher.publish(this.channels.answers, correlationId);
  }

  private answersListening?: Promise<unknown>;

  async expectAnswer(correlationId: string, timeoutMs: number): Promise<{ answer: Promise<boolean>; cancel(): void }> {
    this.answersListening ??= this.listen(this.channels.answers, (message) => this.waiters.answered(message));
    await this.answersListening;
    return this.waiters.expect(correlationId, timeoutMs);
  }

  async close(): Promise<void> {
    this.waiters.clear();
    await closeRedis(this.publisher, this.subscriber);
  }
}
