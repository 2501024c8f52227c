export * from './passwords.js';
export * from './principal.js';
export * from './roles.js';
export * from './secrets.js';
export * from './totp.js';
