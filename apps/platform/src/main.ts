import { runMain } from '@simfleet/bootstrap';
import { ROLE_NAMES, rolesNamed } from './roles.js';

await runMain(rolesNamed(ROLE_NAMES));
