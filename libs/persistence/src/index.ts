export * from './database.js';
export * from './migrator.js';
export * from './persistence.module.js';
export { PgliteDatabase } from './pglite.database.js';
export { PostgresDatabase } from './postgres.database.js';
