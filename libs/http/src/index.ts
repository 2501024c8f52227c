// The public face of @simfleet/http: what other libs and apps import.
export * from './auth.guard.js';
export * from './input-text.js';
export * from './openapi.js';
export { problemOnFrameworkError } from './problem.filter.js';
export * from './ops/ops.module.js';
export * from './request-contract.js';
export * from './route-audit.js';
export * from './validation.js';
export * from './audit-hook.js';
export * from './cookies.js';
