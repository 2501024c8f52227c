import { runMain } from '@simfleet/bootstrap';
import { apiRole } from './api.role.js';

await runMain([apiRole]);
