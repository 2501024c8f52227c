import { runMain } from '@simfleet/bootstrap';
import { brokerRole } from './broker.role.js';

await runMain([brokerRole]);
