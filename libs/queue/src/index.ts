export * from './job-queue.js';
export * from './jobs.js';
export * from './queue.module.js';
export * from './job-processor.js';
