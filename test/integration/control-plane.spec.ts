// The device control plane over @nestjs/microservices: a request goes to the broker the connection log
// names (not to every broker), an event to every broker; in-process (embedded) and over Redis (servers).
import type { CustomTransportStrategy, Server } from '@nestjs/microservices';
import {
  DEVICE_CONTROL,
  InProcessControlPlane,
  RedisControlPlane,
  RoutedDeviceControl,
  type ControlPlaneTransport,
  type DeviceSms,
  type DisconnectOrder,
  type SmsAnswer,
  type SmsRequest,
} from '@simfleet/application';
import { migrate, PgliteDatabase, SimConnectionRepository } from '@simfleet/persistence';
import { RedisConnections } from '@simfleet/queue';
import { eventually } from '../e2e/support/http.js';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';

const sms: DeviceSms = { id: 'sms_1', kind: 'wake-up', text: 'WAKE-UP', encoding: 'gsm7', segments: 1, sentAt: '2026-11-28T12:00:00.000Z' };
const [ON_A, ON_B, OFFLINE, ON_DEAD] = ['8988303000000000011', '8988303000000000012', '8988303000000000013', '8988303000000000014'];

type Transport = { transport: ControlPlaneTransport; close(): Promise<void> };
const transports: Array<[string, () => Transport, jest.Describe]> = [
  ['in-process', () => ({ transport: new InProcessControlPlane(), close: async () => undefined }), describe],
  [
    'Redis',
    () => {
      const connections = new RedisConnections({ url: serverUrl('redis'), prefix: uniqueRedisPrefix('control').replace(/:$/, '') });
      return { transport: new RedisControlPlane(connections), close: () => connections.close() };
    },
    requireServers('redis'),
  ],
];

describe.each(transports)('device control plane (%s)', (_kind, create, suite) => {
  suite('routing', () => {
    let db: PgliteDatabase;
    let shared: Transport;
    let control: RoutedDeviceControl;
    const servers: Array<Server & CustomTransportStrategy> = [];
    const received: Record<string, string[]> = { 'broker-a': [], 'broker-b': [] };
    const kicked: Record<string, string[]> = { 'broker-a': [], 'broker-b': [] };

    // PGlite (PostgreSQL in WebAssembly) migrating the whole schema took over a minute on the shared 2-core machine.
    beforeAll(async () => {
      db = await PgliteDatabase.open();
      await migrate(db);
      await db.query("insert into accounts (id, name) values ('acc_a', 'A')");
      for (const [i, iccid] of [ON_A, ON_B, OFFLINE, ON_DEAD].entries())
        await db.query("insert into sims (iccid, imsi, account_id, status) values ($1, $2, 'acc_a', 'active')", [iccid, `90128000000001${i}`]);
      const log = new SimConnectionRepository(db);
      const opened = (iccid: string, brokerId: string) => ({
        connectionId: `c-${iccid}`,
        iccid,
        accountId: 'acc_a',
        brokerId,
        clientId: 'x',
        connectedAt: new Date('2026-11-28T10:00:00Z'),
      });
      await log.opened(db, opened(ON_A, 'broker-a'));
      await log.opened(db, opened(ON_B, 'broker-b'));
      await log.opened(db, opened(ON_DEAD, 'broker-gone'));
      await log.closed(db, {
        ...opened(OFFLINE, 'broker-a'),
        disconnectedAt: new Date('2026-11-28T11:00:00Z'),
        reason: 'client_disconnect',
        detail: null,
      });

      shared = create();
      for (const brokerId of ['broker-a', 'broker-b']) {
        const server = shared.transport.server(brokerId) as Server & CustomTransportStrategy;
        // Each broker answers for the devices it holds, `absent` for the others.
        server.addHandler(DEVICE_CONTROL.sms, async (request: SmsRequest): Promise<SmsAnswer> => {
          received[brokerId].push(request.iccid);
          return request.iccid === (brokerId === 'broker-a' ? ON_A : ON_B) ? 'delivered' : 'absent';
        });
        server.addHandler(DEVICE_CONTROL.disconnect, async (order: DisconnectOrder) => void kicked[brokerId].push(...order.iccids), true);
        await new Promise<void>((resolve, reject) => server.listen((error?: unknown) => (error ? reject(error as Error) : resolve())));
        servers.push(server);
      }
      control = new RoutedDeviceControl(shared.transport, log);
    }, 180_000);

    afterAll(async () => {
      await control?.beforeApplicationShutdown();
      for (const server of servers) await server.close();
      await shared?.close();
      await db?.close();
    });

    it('asks only the broker the connection log names, and carries its answer back', async () => {
      // Over Redis the brokers' subscriptions complete shortly after listen(): the first request may go unheard.
      await eventually(async () => ((await control.deliverSms(ON_A, sms)) === 'delivered' ? true : undefined));
      expect(await control.deliverSms(ON_B, sms)).toBe('delivered');
      expect(received['broker-b']).toEqual([ON_B]);
      expect(received['broker-a'].every((iccid) => iccid === ON_A)).toBe(true);
    });

    it('answers not-connected without asking any broker when the log shows the device offline', async () => {
      const before = received['broker-a'].length + received['broker-b'].length;
      expect(await control.deliverSms(OFFLINE, sms)).toBe('not-connected');
      expect(await control.reset(OFFLINE)).toBe('offline');
      expect(received['broker-a'].length + received['broker-b'].length).toBe(before);
    });

    it('answers offline when the broker the log names does not answer (it died)', async () => {
      const started = Date.now();
      expect(await control.reset(ON_DEAD)).toBe('offline');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('sends a disconnect order to every broker', async () => {
      await control.disconnect(ON_B, 'kicked_suspended');
      await eventually(async () => (kicked['broker-a'].length && kicked['broker-b'].length ? true : undefined));
      expect(kicked).toEqual({ 'broker-a': [ON_B], 'broker-b': [ON_B] });
    });
  });
});
