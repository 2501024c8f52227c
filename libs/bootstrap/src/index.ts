// The public face of @simfleet/bootstrap: what other libs and apps import.
export * from './platform.module.js';
export * from './run-main.js';
export * from './start-platform.js';
export * from './platform-role.js';
