// msgpack-lite (the encoding aedes-persistence-redis stores packets in) ships no types: what the crash drill uses.
declare module 'msgpack-lite' {
  const msgpack: { encode(value: unknown): Buffer; decode(buffer: Buffer): unknown };
  export default msgpack;
}
