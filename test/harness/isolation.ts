// Per-suite isolation on the servers shared by a test run (started by global-setup.ts):
// a fresh PostgreSQL database, a unique Redis key prefix, a fresh InfluxDB database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SERVER_ENV } from './run-state.js';
import type { ServerName } from './servers.js';

export { freePort } from './servers.js';
export type { ServerName } from './servers.js';

let counter = 0;
/** Lowercase, identifier-safe, unique across processes and calls (pid + time + counter + random). */
function uniqueToken(): string {
  counter += 1;
  return `${process.pid.toString(36)}_${Date.now().toString(36)}_${counter.toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** True when the run's global setup started this server (its URL is in the environment). */
export function serverAvailable(name: ServerName): boolean {
  return Boolean(process.env[SERVER_ENV[name]]);
}

/** The shared server's URL; throws a clear error when the run has none. */
export function serverUrl(name: ServerName): string {
  const url = process.env[SERVER_ENV[name]];
  if (!url) {
    throw new Error(
      `${SERVER_ENV[name]} is not set: ${name} was not started for this run. Run the suite in the integration or e2e ` +
        `Jest project (their global setup starts the servers) and install the server package if it is missing.`,
    );
  }
  return url;
}

/**
 * `describe`, or `describe.skip` when one of the servers is unavailable outside CI.
 * Under CI=true it is always `describe` (global setup already fails the run on a missing binary).
 *   requireServers('postgres', 'redis')('my suite', () => { ... });
 */
export function requireServers(...names: ServerName[]): jest.Describe {
  if (process.env.CI === 'true') return describe;
  return names.every(serverAvailable) ? describe : describe.skip;
}

export interface TestDatabase {
  /** postgres://postgres@127.0.0.1:PORT/<database> */
  url: string;
  database: string;
  /** Drops the database, terminating any connections still open to it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh, empty database with a unique name on the run's PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = `test_${uniqueToken()}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${database}"`));
  const url = new URL(serverUrl('postgres'));
  url.pathname = `/${database}`;
  let dropped = false;
  return {
    url: url.toString(),
    database,
    drop: async () => {
      if (dropped) return;
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
      dropped = true;
    },
  };
}

/** A key prefix no other suite or process uses, e.g. `test:1a2b_lq3x_1_9f8e7d:` (ends with ':'). */
export function uniqueRedisPrefix(label = 'test'): string {
  return `${label}:${uniqueToken()}:`;
}

export interface InfluxDatabase {
  /** http://127.0.0.1:PORT */
  url: string;
  database: string;
  drop(): Promise<void>;
}

export interface InfluxQueryResponse {
  results?: { statement_id?: number; error?: string; series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }[];
  error?: string;
}

/** Runs InfluxQL statements with POST /query; throws on an HTTP or statement error. */
export async function influxQuery(url: string, q: string, db?: string): Promise<InfluxQueryResponse> {
  const body = new URLSearchParams({ q });
  if (db !== undefined) body.set('db', db);
  const res = await fetch(`${url}/query`, { method: 'POST', body });
  const text = await res.text();
  if (!res.ok) throw new Error(`InfluxDB POST /query ${JSON.stringify(q)} answered ${res.status}: ${text}`);
  const json = JSON.parse(text) as InfluxQueryResponse;
  const error = json.error ?? json.results?.find((r) => r.error)?.error;
  if (error) throw new Error(`InfluxDB POST /query ${JSON.stringify(q)} failed: ${error}`);
  return json;
}

/** Creates a database with a unique name on the run's InfluxDB server. */
export async function createInfluxDatabase(): Promise<InfluxDatabase> {
  const url = serverUrl('influx');
  const database = `test_${uniqueToken()}`;
  await influxQuery(url, `CREATE DATABASE "${database}"`);
  return {
    url,
    database,
    drop: async () => {
      await influxQuery(url, `DROP DATABASE "${database}"`);
    },
  };
}
