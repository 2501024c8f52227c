// The test servers live in scripts/lib/servers.ts so that the benchmarks, which run from dist/, share them.
export * from '../../scripts/lib/servers.js';
