import type { PlatformRole } from '@simfleet/bootstrap';
import { WorkerModule } from './worker.module.js';

/** The worker role: every job processor, consuming the queue. */
export const workerRole: PlatformRole = { name: 'worker', module: WorkerModule };
