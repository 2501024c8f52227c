// The platform app is the one composition root allowed to import other apps (their role files only): it
// runs the roles together in one process (the embedded shape), or picks some for tests and benchmarks.
import { apiRole } from '../../api/src/api.role.js';
import { brokerRole } from '../../broker/src/broker.role.js';
import { workerRole } from '../../worker/src/worker.role.js';
import type { PlatformRole, RoleName } from '@simfleet/bootstrap';

export const PLATFORM_ROLES: Readonly<Record<RoleName, PlatformRole>> = { api: apiRole, broker: brokerRole, worker: workerRole };
export const ROLE_NAMES: readonly RoleName[] = ['api', 'broker', 'worker'];

export const rolesNamed = (names: readonly RoleName[]): PlatformRole[] => names.map((name) => PLATFORM_ROLES[name]);
