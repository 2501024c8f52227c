// What the broker relies on in aedes and mqemitter beyond their documented options, all in
// apps/broker/src/mqtt/aedes-adapter.ts: this suite fails when an upgrade moves or renames one of them
// (the client id inside aedes, `_disconnected`, `clients`, `subscriptions`, the parser's `_parseLength`,
// `persistence.removeSubscriptions` and retained streams, a persisted will's `clientId`, mqemitter-redis'
// `emit` / `_emit` / `state`, the `$SYS/+/new/clients` announcement).
import { createServer, type AddressInfo, type Server } from 'node:net';
import { connect as netConnect } from 'node:net';
import { Logger } from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import { RedisConnections } from '@simfleet/queue';
import { AedesAdapter, type BrokerHooks, type MqttClient as AedesClient } from '../../apps/broker/src/mqtt/aedes-adapter.js';
import { eventually } from '../e2e/support/http.js';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';

interface Running {
  adapter: AedesAdapter;
  port: number;
  takenOver: AedesClient[];
  orphanWills: Array<{ topic: string; owner: string | null }>;
  close(): Promise<void>;
}

const logger = new Logger('aedes-adapter.spec');

/** A broker on the adapter with permissive hooks: the session key is `user/{username}/{client id}`. */
async function start(connections: RedisConnections, extra: Partial<BrokerHooks> = {}, heartbeatMs = 60_000): Promise<Running> {
  const takenOver: AedesClient[] = [];
  const orphanWills: Array<{ topic: string; owner: string | null }> = [];
  // eslint-disable-next-line prefer-const -- the hooks refer to the adapter, which is built from them
  let adapter: AedesAdapter | undefined;
  const hooks: BrokerHooks = {
    authenticate: async (_client, username, _password, request) => ({ ok: true, sessionKey: `user/${username}/${request.clientId}` }),
    authorizePublish: (client, packet, done) => {
      if (!client) orphanWills.push({ topic: packet.topic, owner: adapter!.willOwner(packet) });
      done(null);
    },
    authorizeSubscribe: (_client, subscription, done) => done(null, subscription),
    authorizeForward: (_client, packet) => packet,
    takenOver: (client) => takenOver.push(client),
    ...extra,
  };
  adapter = await AedesAdapter.create(connections, hooks, { heartbeatMs, maxPacketBytes: 10_000 }, logger);
  const server: Server = createServer((socket) => adapter!.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    adapter,
    port,
    takenOver,
    orphanWills,
    close: async () => {
      await adapter!.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const connectTo = (port: number, username: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password: 'x', protocolVersion: 4, reconnectPeriod: 0, ...options });

const backends: Array<[string, () => RedisConnections, jest.Describe]> = [
  ['in-memory', () => new RedisConnections(null), describe],
  ['Redis', () => new RedisConnections({ url: serverUrl('redis'), prefix: uniqueRedisPrefix('aedes').replace(/:$/, '') }), requireServers('redis')],
];

describe.each(backends)('aedes adapter (%s backends)', (_kind, connectionsFor, suite) => {
  suite('the aedes internals the broker uses', () => {
    let connections: RedisConnections;
    let broker: Running;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      connections = connectionsFor();
      broker = await start(connections);
    });
    afterAll(async () => {
      for (const c of clients) c.end(true);
      await broker?.close();
      await connections?.close();
    });

    const connected = async (username: string, options: mqtt.IClientOptions = {}) => {
      const client = await connectTo(broker.port, username, options);
      clients.push(client);
      return client;
    };

    it('stores a session under the key authenticate returned, so another user with the same client id gets another session', async () => {
      const first = await connected('alice', { clientId: 'shared-id', clean: false });
      await first.subscribeAsync('things/a/sms', { qos: 1 });
      await first.endAsync();
      const mallory = await connected('mallory', { clientId: 'shared-id', clean: false });
      const malloryAck = await new Promise<boolean>((resolve) => {
        // mqtt.js keeps the CONNACK of the connection it made.
        resolve((mallory as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent === true);
      });
      expect(malloryAck).toBe(false);
      await mallory.endAsync();
      const again = await connected('alice', { clientId: 'shared-id', clean: false });
      expect((again as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent).toBe(true);
      await again.endAsync();
    });

    it('tells a connection that sent DISCONNECT from one that was dropped (`_disconnected`), and which one was taken over (`clients`)', async () => {
      const seen: Array<{ id: string; sentDisconnect: boolean }> = [];
      broker.adapter.onClientDisconnect((client) => seen.push({ id: client.id, sentDisconnect: broker.adapter.sentDisconnect(client) }));
      const polite = await connected('bob', { clientId: 'polite' });
      await polite.endAsync();
      const rude = await connected('bob', { clientId: 'rude' });
      (rude as unknown as { stream: { destroy(): void } }).stream.destroy();
      const first = await connected('bob', { clientId: 'twice' });
      const second = await connected('bob', { clientId: 'twice' });
      await eventually(async () => (seen.length >= 3 ? true : undefined));
      expect(seen.find((s) => s.id === 'user/bob/polite')?.sentDisconnect).toBe(true);
      expect(seen.find((s) => s.id === 'user/bob/rude')?.sentDisconnect).toBe(false);
      expect(broker.takenOver.map((c) => c.id)).toContain('user/bob/twice');
      expect(first.connected || second.connected).toBe(true);
      second.end(true);
      first.end(true);
    });

    it("reads a client's granted QoS (`subscriptions`) and removes persisted subscriptions (`persistence.removeSubscriptions`)", async () => {
      let server: AedesClient | undefined;
      broker.adapter.onClientReady((client) => {
        if (client.id === 'user/carol/c1') server = client;
      });
      const carol = await connected('carol', { clientId: 'c1', clean: false });
      await carol.subscribeAsync({ 'things/c/sms': { qos: 1 }, 'things/c/commands': { qos: 0 } });
      await eventually(async () => server);
      expect(broker.adapter.subscriptionQos(server!, 'things/c/sms')).toBe(1);
      expect(broker.adapter.subscriptionQos(server!, 'things/c/commands')).toBe(0);
      expect(broker.adapter.subscriptionQos(server!, 'things/c/errors')).toBeUndefined();
      await broker.adapter.removePersistedSubscriptions(server!, ['things/c/sms', 'things/c/commands']);
      await carol.endAsync();
      const again = await connected('carol', { clientId: 'c1', clean: false });
      expect((again as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent).toBe(false);
      await again.endAsync();
    });

    it('closes a connection whose packet announces more than the limit, without reading its body (the parser)', async () => {
      const closed = await new Promise<{ closedAfterMs: number }>((resolve, reject) => {
        const socket = netConnect(broker.port, '127.0.0.1', () => {
          // A CONNECT announcing 60 MB (remaining length 0xFFFFFF7F-ish): only its first bytes are sent.
          socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x1d]));
          socket.write(Buffer.alloc(1_000, 0x41));
        });
        const started = Date.now();
        socket.on('close', () => resolve({ closedAfterMs: Date.now() - started }));
        socket.on('error', () => undefined);
        setTimeout(() => reject(new Error('the connection stayed open')), 5_000);
      });
      expect(closed.closedAfterMs).toBeLessThan(5_000);
      // Under the limit, a packet is read as usual.
      const small = await connected('dave', { clientId: 'small' });
      await small.publishAsync('things/d/status', Buffer.alloc(5_000, 0x41), { qos: 1 });
      await small.endAsync();
    });

    it('deletes retained messages under a pattern (retained streams)', async () => {
      const publisher = await connected('erin', { clientId: 'retains' });
      await publisher.publishAsync('$simfleet/refused/1/refused', 'kept by mistake', { qos: 1, retain: true });
      await publisher.publishAsync('$simfleet/refused/2/sessions', 'kept by mistake', { qos: 1, retain: true });
      await publisher.endAsync();
      await eventually(async () => ((await countRetained(broker.adapter, '$simfleet/#')) === 2 ? true : undefined));
      expect(await broker.adapter.purgeRetained('$simfleet/#')).toBe(2);
      expect(await countRetained(broker.adapter, '$simfleet/#')).toBe(0);
    });
  });
});

async function countRetained(adapter: AedesAdapter, pattern: string): Promise<number> {
  const persistence = (adapter as unknown as { aedes: { persistence: { createRetainedStream(p: string): AsyncIterable<unknown> } } }).aedes
    .persistence;
  let n = 0;
  for await (const _ of persistence.createRetainedStream(pattern)) n += 1;
  return n;
}

requireServers('redis')('aedes adapter across brokers (Redis)', () => {
  let connections: RedisConnections;
  let a: Running;
  let b: Running;
  const prefix = uniqueRedisPrefix('aedes-pair').replace(/:$/, '');

  beforeAll(async () => {
    connections = new RedisConnections({ url: serverUrl('redis'), prefix });
    a = await start(connections, {}, 200);
    b = await start(connections, {}, 200);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await connections?.close();
  });

  it('tells broker A that broker B took over its connection (`$SYS/+/new/clients`)', async () => {
    const onA = await connectTo(a.port, 'frank', { clientId: 'roams' });
    const closed = new Promise<void>((resolve) => onA.once('close', () => resolve()));
    const onB = await connectTo(b.port, 'frank', { clientId: 'roams' });
    await closed;
    expect(a.takenOver.map((c) => c.id)).toEqual(['user/frank/roams']);
    onA.end(true);
    await onB.endAsync();
  });

  it('keeps publishes of accounts without integrations off Redis (patched `emit` → `_emit`) and forwards them once one registers', async () => {
    const monitor = new Redis(serverUrl('redis'));
    const channels: string[] = [];
    monitor.on('pmessage', (_p: string, channel: string) => channels.push(channel));
    await monitor.psubscribe('$simfleet/accounts/*');
    try {
      const device = await connectTo(a.port, 'grace', { clientId: 'g' });
      await device.publishAsync('$simfleet/accounts/acc_quiet/things/1/sessions', '{}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
      expect(channels).toEqual([]);
      await a.adapter.registerIntegration('acc_quiet');
      await device.publishAsync('$simfleet/accounts/acc_quiet/things/1/sessions', '{}', { qos: 1 });
      await eventually(async () => (channels.length ? true : undefined));
      expect(channels).toEqual(['$simfleet/accounts/acc_quiet/things/1/sessions']);
      await device.endAsync();
    } finally {
      await monitor.quit();
    }
  });

  it('survives an error on mqemitter-redis `state` (it has no listener of its own)', () => {
    const mq = (a.adapter as unknown as { aedes: { mq: { state: NodeJS.EventEmitter } } }).aedes.mq;
    expect(() => mq.state.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'))).not.toThrow();
  });

  it("names a persisted will's owner by the session key it was stored under (`clientId` of the will)", async () => {
    // A broker that stops heartbeating is dead for the others: its clients' wills are published by them.
    const lost = await start(connections, {}, 200);
    const device = await connectTo(lost.port, 'heidi', {
      clientId: 'w',
      will: { topic: 'things/h/status', payload: Buffer.from('{}'), qos: 1, retain: false },
    });
    const aedes = (
      lost.adapter as unknown as { aedes: { close(cb: () => void): void; _heartbeatInterval: NodeJS.Timeout; _clearWillInterval: NodeJS.Timeout } }
    ).aedes;
    // Stop its heartbeat without publishing its clients' wills (as a crash would).
    clearInterval(aedes._heartbeatInterval);
    clearInterval(aedes._clearWillInterval);
    await eventually(async () => (a.orphanWills.length || b.orphanWills.length ? true : undefined), 20_000);
    expect([...a.orphanWills, ...b.orphanWills][0]).toEqual({ topic: 'things/h/status', owner: 'user/heidi/w' });
    device.end(true);
    await lost.close();
  }, 30_000);
});
