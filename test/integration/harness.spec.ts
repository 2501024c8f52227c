// The test harness itself: the shared servers really run, the isolation helpers isolate, and a
// stopped-then-started Redis (append-only) or InfluxDB keeps its data, port and URL.
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createInfluxDatabase,
  createTestDatabase,
  freePort,
  influxQuery,
  requireServers,
  serverUrl,
  uniqueRedisPrefix,
} from '../harness/isolation.js';
import { missingBinaries, startInflux, startPostgres, startRedis, type ServerHandle, type ServerName } from '../harness/servers.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function influxWrite(url: string, db: string, lines: string): Promise<void> {
  const res = await fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=ms`, { method: 'POST', body: lines });
  if (res.status !== 204) throw new Error(`POST /write answered ${res.status}: ${await res.text()}`);
}

interface SeriesResult {
  results: { series?: { name: string; columns: string[]; values: unknown[][] }[] }[];
}

async function influxSelect(url: string, db: string, q: string): Promise<unknown[][]> {
  const json = (await influxQuery(url, q, db)) as SeriesResult;
  return json.results[0]?.series?.[0]?.values ?? [];
}

/** A suite that starts its own instance of a server: skipped outside CI when the binary is missing. */
function requireBinary(name: ServerName): jest.Describe {
  if (process.env.CI === 'true') return describe;
  return missingBinaries().some((m) => m.server === name) ? describe.skip : describe;
}

requireServers('postgres')('harness: PostgreSQL', () => {
  it('serves SELECT 1 on TEST_PG_URL', async () => {
    const url = serverUrl('postgres');
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const rows = await withClient(url, async (c) => (await c.query<{ one: number }>('SELECT 1 AS one')).rows);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('createTestDatabase() gives isolated databases and drop() removes them', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.database).not.toEqual(b.database);
      expect(a.url).toMatch(new RegExp(`/${a.database}$`));
      await withClient(a.url, async (c) => {
        await c.query('CREATE TABLE sims (iccid text PRIMARY KEY)');
        await c.query("INSERT INTO sims VALUES ('8944500000000000001')");
      });
      await withClient(b.url, async (c) => {
        const t = await c.query("SELECT to_regclass('public.sims') AS t");
        expect(t.rows[0]).toEqual({ t: null });
        await c.query('CREATE TABLE sims (iccid text PRIMARY KEY)'); // same name, no clash
        expect((await c.query('SELECT count(*)::int AS n FROM sims')).rows[0]).toEqual({ n: 0 });
      });
      const n = await withClient(a.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM sims')).rows[0]);
      expect(n).toEqual({ n: 1 });
    } finally {
      await a.drop();
      await b.drop();
    }
    const left = await withClient(
      serverUrl('postgres'),
      async (c) => (await c.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[a.database, b.database]])).rows,
    );
    expect(left).toEqual([]);
  });

  it('drop() works while a connection is still open', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // the forced drop terminates this connection: expected
    await client.connect();
    await db.drop();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined); // already terminated by the server
  });
});

requireServers('redis')('harness: Redis', () => {
  it('answers PING on TEST_REDIS_URL and prefixes are unique', async () => {
    const url = serverUrl('redis');
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
      const p1 = uniqueRedisPrefix();
      const p2 = uniqueRedisPrefix();
      expect(p1).not.toEqual(p2);
      await redis.set(`${p1}k`, 'one');
      expect(await redis.get(`${p2}k`)).toBeNull();
      expect(await redis.get(`${p1}k`)).toBe('one');
    } finally {
      redis.disconnect();
    }
  });
});

requireServers('influx')('harness: InfluxDB', () => {
  it('answers /ping with 204, writes a point via /write and reads it back via /query', async () => {
    const url = serverUrl('influx');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/ping`)).status).toBe(204);
    const db = await createInfluxDatabase();
    const other = await createInfluxDatabase();
    try {
      expect(db.database).not.toEqual(other.database);
      await influxWrite(url, db.database, 'telemetry,iccid=8944500000000000001 bytes=1234i 1700000000000');
      const rows = await influxSelect(url, db.database, 'SELECT bytes FROM telemetry');
      expect(rows).toEqual([['2023-11-14T22:13:20Z', 1234]]);
      expect(await influxSelect(url, other.database, 'SELECT bytes FROM telemetry')).toEqual([]);
    } finally {
      await db.drop();
      await other.drop();
    }
  });
});

requireBinary('redis')('harness: Redis stop/start keeps data (appendonly)', () => {
  let redisServer: ServerHandle | undefined;
  afterAll(async () => {
    await redisServer?.destroy();
  });

  it('keeps keys, port and URL across stop() and start()', async () => {
    redisServer = await startRedis({ appendonly: true });
    const { url, port, dir } = redisServer;
    const write = new Redis(url, { lazyConnect: true });
    await write.connect();
    await write.set('sim:1:status', 'active');
    await write.rpush('sim:1:events', 'a', 'b');
    await write.quit();

    await redisServer.stop();
    expect(redisServer.running).toBe(false);
    await expect(fetchRedisPing(port)).rejects.toThrow();
    await redisServer.start();

    expect(redisServer.url).toBe(url);
    expect(redisServer.port).toBe(port);
    const read = new Redis(url, { lazyConnect: true });
    await read.connect();
    try {
      expect(await read.get('sim:1:status')).toBe('active');
      expect(await read.lrange('sim:1:events', 0, -1)).toEqual(['a', 'b']);
    } finally {
      await read.quit();
    }

    const pid = redisServer.pid;
    await redisServer.destroy();
    expect(existsSync(dir)).toBe(false);
    expect(pid !== undefined && processAlive(pid)).toBe(false);
  });
});

requireBinary('influx')('harness: InfluxDB stop/start keeps data', () => {
  let influx: ServerHandle | undefined;
  afterAll(async () => {
    await influx?.destroy();
  });

  it('keeps databases and points, port and URL across stop() and start()', async () => {
    influx = await startInflux();
    const { url, port } = influx;
    await influxQuery(url, 'CREATE DATABASE "fleet"');
    await influxWrite(url, 'fleet', 'usage,iccid=a bytes=1i 1700000000000\nusage,iccid=b bytes=2i 1700000001000');

    await influx.stop();
    expect(influx.running).toBe(false);
    await expect(fetch(`${url}/ping`)).rejects.toThrow();
    await influx.start();

    expect(influx.url).toBe(url);
    expect(influx.port).toBe(port);
    const rows = await influxSelect(url, 'fleet', 'SELECT sum(bytes) FROM usage');
    expect(rows).toEqual([['1970-01-01T00:00:00Z', 3]]);
    await influxWrite(url, 'fleet', 'usage,iccid=c bytes=4i 1700000002000');
    expect(await influxSelect(url, 'fleet', 'SELECT count(bytes) FROM usage')).toEqual([['1970-01-01T00:00:00Z', 3]]);
  });
});

requireBinary('postgres')('harness: PostgreSQL stop/start keeps data', () => {
  let postgres: ServerHandle | undefined;
  afterAll(async () => {
    await postgres?.destroy();
  });

  it('keeps tables, port and URL across stop() and start()', async () => {
    postgres = await startPostgres();
    const { url, port } = postgres;
    await withClient(url, (c) => c.query("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"));
    await postgres.stop();
    expect(postgres.running).toBe(false);
    await postgres.start();
    expect(postgres.port).toBe(port);
    const rows = await withClient(url, async (c) => (await c.query('SELECT v FROM t')).rows);
    expect(rows).toEqual([{ v: 'kept' }]);
  });
});

describe('harness: freePort', () => {
  it('returns a loopback port that can be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function fetchRedisPing(port: number): Promise<void> {
  const { createConnection } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}
