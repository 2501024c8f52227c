// RedisConnections' view of Redis, as the broker's CONNECT and /ready use it: a connection still making its first
// connect is not "away" (a starting broker does not refuse devices), one that cannot reach Redis is.
import { createServer, type AddressInfo } from 'node:net';
import { RedisConnections } from '@simfleet/queue';
import { eventually } from '../e2e/support/http.js';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

requireServers('redis')('RedisConnections', () => {
  it('is ready and not away once its connections are up; neither while one is still connecting for the first time', async () => {
    const connections = new RedisConnections({ url: serverUrl('redis'), prefix: uniqueRedisPrefix('connections').replace(/:$/, '') });
    try {
      const connection = connections.open('first');
      expect(connection.status).toBe('connecting');
      expect(connections.ready).toBe(false);
      expect(connections.away).toBe(false);
      await eventually(async () => (connection.status === 'ready' ? true : undefined), 10_000);
      expect(connections.ready).toBe(true);
      expect(connections.away).toBe(false);
    } finally {
      await connections.close();
    }
  });

  it('is away, naming the connection, when Redis cannot be reached, and keeps retrying', async () => {
    const connections = new RedisConnections({ url: `redis://127.0.0.1:${await closedPort()}`, prefix: 'unreachable' });
    try {
      connections.open('lost');
      await eventually(async () => (connections.away ? true : undefined), 10_000);
      expect(connections.ready).toBe(false);
      expect(() => connections.assertReady()).toThrow(/lost \((reconnecting|connecting|close).*ECONNREFUSED/);
      expect(connections.states()).toEqual([expect.objectContaining({ name: 'lost', lastError: expect.stringContaining('ECONNREFUSED') })]);
    } finally {
      await connections.close();
    }
  });
});
