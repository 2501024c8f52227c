import { runMain } from '@simfleet/bootstrap';
import { workerRole } from './worker.role.js';

await runMain([workerRole]);
