import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export type DisconnectListener = (iccid: string, reason: string) => void;

/**
 * Tells every broker to drop a device's connection (suspension, termination, block, new credentials).
 * In-process in the embedded shape; over Redis pub/sub when brokers run as separate processes.
 */
export abstract class DeviceSessions {
  abstract disconnect(iccid: string, reason: string): Promise<void>;
  abstract onDisconnect(listener: DisconnectListener): Promise<void>;
  abstract close(): Promise<void>;
}

export class LocalDeviceSessions extends DeviceSessions {
  private readonly emitter = new EventEmitter();

  async disconnect(iccid: string, reason: string): Promise<void> {
    this.emitter.emit('disconnect', iccid, reason);
  }

  async onDisconnect(listener: DisconnectListener): Promise<void> {
    this.emitter.on('disconnect', listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisDeviceSessions extends DeviceSessions {
  private readonly publisher: Redis;
  private subscriber?: Redis;
  private readonly channel: string;

  constructor(
    private readonly redisUrl: string,
    prefix: string,
  ) {
    super();
    this.channel = `${prefix}:device-disconnect`;
    this.publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  }

  async disconnect(iccid: string, reason: string): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify({ iccid, reason }));
  }

  async onDisconnect(listener: DisconnectListener): Promise<void> {
    this.subscriber ??= new Redis(this.redisUrl);
    await this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const { iccid, reason } = JSON.parse(message) as { iccid: string; reason: string };
      listener(iccid, reason);
    });
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber?.disconnect();
  }
}
