// The Redis backends of aedes ship no type declarations; these are the parts the broker uses (aedes-adapter.ts).
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  function aedesPersistenceRedis(options: { conn: Redis; maxSessionDelivery?: number; packetTTL?: () => number }): unknown;
  export default aedesPersistenceRedis;
}
declare module 'mqemitter-redis' {
  import type { EventEmitter } from 'node:events';
  import type { Redis } from 'ioredis';
  export interface MQEmitterPacket {
    topic: string;
    [key: string]: unknown;
  }
  interface MQEmitterRedis {
    /** Publishes on Redis; every broker subscribed to the topic delivers it to its local subscribers. */
    emit(packet: MQEmitterPacket, done?: (error?: Error) => void): void;
    /** The in-memory emitter it extends: delivers to this process's subscribers only. */
    _emit(packet: MQEmitterPacket, done?: (error?: Error) => void): void;
    on<P extends MQEmitterPacket>(topic: string, listener: (packet: P, done: () => void) => void, done?: () => void): void;
    /** Re-emits the errors of its Redis connections ('error'); with no listener, an error ends the process. */
    state: EventEmitter;
    close(callback: () => void): void;
  }
  function mqemitterRedis(options: { pubConn?: Redis; subConn?: Redis; connectionString?: string }): MQEmitterRedis;
  export default mqemitterRedis;
}
