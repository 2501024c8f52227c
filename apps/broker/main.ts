import { runMain } from '../platform/main-runner.js';

await runMain(['broker']);
