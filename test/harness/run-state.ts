// State shared between the Jest global setup and teardown (same process, possibly different module
// instances), kept on globalThis under a registered symbol.
import type { ServerHandle, ServerName } from './servers.js';

export const SERVER_NAMES: readonly ServerName[] = ['postgres', 'redis', 'influx'];

/** The environment variable that carries each server's URL to the test processes. */
export const SERVER_ENV: Readonly<Record<ServerName, string>> = {
  postgres: 'TEST_PG_URL',
  redis: 'TEST_REDIS_URL',
  influx: 'TEST_INFLUX_URL',
};

export interface RunServers {
  handles: Partial<Record<ServerName, ServerHandle>>;
  startedMs: number;
}

const KEY = Symbol.for('simfleet.test.runServers');
type Holder = { [KEY]?: RunServers };

export function setRunServers(state: RunServers | undefined): void {
  (globalThis as Holder)[KEY] = state;
}

export function getRunServers(): RunServers | undefined {
  return (globalThis as Holder)[KEY];
}
