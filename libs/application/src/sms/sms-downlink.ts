import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { SmsEncoding, SmsKind } from '@simfleet/domain';
import { closeRedis } from '@simfleet/queue';

/** What a device receives on `things/{iccid}/sms` (docs/sms.md). */
export interface DeviceSms {
  id: string;
  kind: SmsKind;
  text: string;
  encoding: SmsEncoding;
  segments: number;
  sentAt: string;
}

/**
 * What the broker holding the device's connection answers:
 * - `delivered`: the device was connected, subscribed to its SMS topic, and acknowledged the message
 *   (PUBACK at QoS 1; at QoS 0, written to its connection);
 * - `not-subscribed`: connected, but not subscribed to `things/{iccid}/sms`;
 * - `not-acknowledged`: written to the connection, but no PUBACK came in time;
 * - `not-connected`: no broker holds a connection of this SIM.
 */
export type DownlinkOutcome = 'delivered' | 'not-subscribed' | 'not-acknowledged' | 'not-connected';

/** A broker's delivery function: null when this broker holds no connection of the SIM. */
export type SmsDownlinkHandler = (iccid: string, sms: DeviceSms) => Promise<Exclude<DownlinkOutcome, 'not-connected'> | null>;

/**
 * Carries an SMS from the gateway to whichever broker holds the device's connection, and its answer back.
 * In-process in the embedded shape; request/reply over Redis pub/sub when brokers run in other processes.
 */
export abstract class SmsDownlink {
  abstract deliver(iccid: string, sms: DeviceSms): Promise<DownlinkOutcome>;
  /** Called by each broker at startup. */
  abstract onDeliver(handler: SmsDownlinkHandler): Promise<void>;
  abstract close(): Promise<void>;
}

export class LocalSmsDownlink extends SmsDownlink {
  private readonly handlers: SmsDownlinkHandler[] = [];

  async deliver(iccid: string, sms: DeviceSms): Promise<DownlinkOutcome> {
    for (const handler of this.handlers) {
      const outcome = await handler(iccid, sms);
      if (outcome) return outcome;
    }
    return 'not-connected';
  }

  async onDeliver(handler: SmsDownlinkHandler): Promise<void> {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }
}

interface DownlinkRequest {
  requestId: string;
  iccid: string;
  sms: DeviceSms;
}
interface DownlinkReply {
  requestId: string;
  /** `absent`: this broker holds no connection of the SIM. */
  outcome: Exclude<DownlinkOutcome, 'not-connected'> | 'absent';
}

/**
 * Request/reply over Redis pub/sub: the request goes to every broker (PUBLISH says how many received it)
 * and each answers: the one holding the device's connection with its outcome, the others `absent`. All
 * `absent`, or no answer within `replyTimeoutMs` (longer than a broker waits for a PUBACK), means no
 * broker holds a connection of that SIM.
 */
export class RedisSmsDownlink extends SmsDownlink {
  private readonly publisher: Redis;
  private replySubscriber?: Redis;
  private listening?: Promise<void>;
  private requestSubscriber?: Redis;
  private readonly logger = new Logger('SmsDownlink');
  private readonly requests: string;
  private readonly replies: string;
  private readonly pending = new EventEmitter();

  constructor(
    private readonly redisUrl: string,
    prefix: string,
    private readonly replyTimeoutMs = 10_000,
  ) {
    super();
    this.requests = `${prefix}:sms-downlink`;
    this.replies = `${prefix}:sms-downlink-replies`;
    this.publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  }

  async deliver(iccid: string, sms: DeviceSms): Promise<DownlinkOutcome> {
    await this.listenForReplies();
    const requestId = randomUUID();
    let brokers = Number.POSITIVE_INFINITY;
    let absent = 0;
    const answered = new Promise<DownlinkOutcome>((resolve) => {
      const settle = (outcome: DownlinkOutcome) => {
        clearTimeout(timer);
        this.pending.removeAllListeners(requestId);
        resolve(outcome);
      };
      const timer = setTimeout(() => settle('not-connected'), this.replyTimeoutMs);
      this.pending.on(requestId, (outcome: DownlinkReply['outcome'] | 'published') => {
        if (outcome === 'absent') absent += 1;
        else if (outcome !== 'published') return settle(outcome);
        if (absent >= brokers) settle('not-connected');
      });
    });
    brokers = await this.publisher.publish(this.requests, JSON.stringify({ requestId, iccid, sms } satisfies DownlinkRequest));
    this.pending.emit(requestId, 'published');
    return answered;
  }

  async onDeliver(handler: SmsDownlinkHandler): Promise<void> {
    this.requestSubscriber ??= new Redis(this.redisUrl);
    await this.requestSubscriber.subscribe(this.requests);
    this.requestSubscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.requests) return;
      const request = JSON.parse(message) as DownlinkRequest;
      handler(request.iccid, request.sms)
        .then((outcome) =>
          this.publisher.publish(
            this.replies,
            JSON.stringify({ requestId: request.requestId, outcome: outcome ?? 'absent' } satisfies DownlinkReply),
          ),
        )
        // The requester then times out and retries later: the message is not lost.
        .catch((error: unknown) => this.logger.warn(`SMS ${request.sms.id} to ${request.iccid}: no answer from this broker: ${String(error)}`));
    });
  }

  /** Subscribes once to the reply channel (before the first request, so no answer is missed). */
  private listenForReplies(): Promise<void> {
    this.listening ??= (async () => {
      this.replySubscriber = new Redis(this.redisUrl);
      this.replySubscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.replies) return;
        const reply = JSON.parse(message) as DownlinkReply;
        this.pending.emit(reply.requestId, reply.outcome);
      });
      await this.replySubscriber.subscribe(this.replies);
    })();
    return this.listening;
  }

  async close(): Promise<void> {
    await closeRedis(this.publisher, this.replySubscriber, this.requestSubscriber);
  }
}
