import { runMain } from './main-runner.js';

await runMain(['api', 'broker', 'worker']);
