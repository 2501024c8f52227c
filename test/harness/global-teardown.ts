// Jest global teardown: stops the servers of the run and removes their temp dirs.
import { createRequire } from 'node:module';

// Loaded through Jest's CommonJS require hook (no moduleNameMapper): see global-setup.ts.
const load = createRequire(__filename);
const { getRunServers, setRunServers } = load('./run-state.ts') as typeof import('./run-state.js');
const { stopAllServers } = load('../../scripts/lib/servers.ts') as typeof import('./servers.js');

export default async function globalTeardown(): Promise<void> {
  const state = getRunServers();
  setRunServers(undefined);
  const handles = state ? Object.values(state.handles) : [];
  const results = await Promise.allSettled([...handles.map((h) => h.destroy()), stopAllServers()]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((f) => f.reason),
      `servers: teardown failed: ${failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('; ')}`,
    );
  }
}
