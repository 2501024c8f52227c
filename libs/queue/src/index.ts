export * from './job-queue.js';
export * from './jobs.js';
export * from './queue.module.js';
export * from './job-processor.js';
export * from './bullmq.queue.js';
export * from './in-process.queue.js';
export * from './permanent-error.js';
export * from './redis-connections.js';
