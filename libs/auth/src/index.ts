export * from './principal.js';
export * from './secrets.js';
