#!/usr/bin/env node
// `npm run test:time-travel`: the whole suite twice more, on clocks that catch tests depending on the day
// they run (issue #16): a year ahead, and from one minute before midnight on the last day of the month.
// Every process of a run (Jest, the platform, PostgreSQL, Redis) reads the moved clock through
// libfaketime (Debian's `faketime` package); InfluxDB, a Go program, keeps the real one, as a server on
// another machine might. Exits non-zero when either run fails.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const probe = spawnSync('faketime', ['-f', '+0', 'true']);
if (probe.error || probe.status !== 0) {
  process.stderr.write('test:time-travel needs libfaketime: apt-get install faketime\n');
  process.exit(process.env.CI === 'true' ? 1 : 0);
}

let exitCode = 0;
for (const mode of ['year-ahead', 'month-end']) {
  process.stdout.write(`\n=== test:time-travel: TEST_CLOCK=${mode} ===\n`);
  const res = spawnSync(process.execPath, [join(root, 'scripts', 'test.mjs'), ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TEST_CLOCK: mode },
  });
  if (res.status !== 0) {
    process.stderr.write(`test:time-travel: the suite failed with TEST_CLOCK=${mode}\n`);
    exitCode = 1;
  }
}
process.exit(exitCode);
