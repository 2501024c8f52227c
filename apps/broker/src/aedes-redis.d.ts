// The Redis backends of aedes ship no type declarations; these are the parts the broker uses.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  function aedesPersistenceRedis(options: { conn: Redis; maxSessionDelivery?: number; packetTTL?: () => number }): unknown;
  export default aedesPersistenceRedis;
}
declare module 'mqemitter-redis' {
  import type { Redis } from 'ioredis';
  interface MQEmitterRedis {
    close(callback: () => void): void;
  }
  function mqemitterRedis(options: { pubConn?: Redis; subConn?: Redis; connectionString?: string }): MQEmitterRedis;
  export default mqemitterRedis;
}
