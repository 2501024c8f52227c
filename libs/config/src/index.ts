export * from './app-config.js';
export * from './config.module.js';
export { configSchema } from './config.schema.js';
export * from './config.schema.js';
