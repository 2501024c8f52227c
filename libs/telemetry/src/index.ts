export * from './influx-telemetry.store.js';
export * from './network-directory.js';
export * from './sql-telemetry.repository.js';
export * from './telemetry-store.js';
export * from './telemetry.module.js';
export * from './country-centroids.js';
export * from './line-protocol.js';
