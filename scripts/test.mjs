#!/usr/bin/env node
// `npm test`: every Jest project, ending with Jest's summaries and one combined line
// `tests: N passed, N failed, N skipped`; exits non-zero when any Jest run failed.
//  - unit: pure code, Jest's default parallel workers;
//  - integration + e2e: --runInBand, since they share the real servers started by the global setup
//    and the machine has 2 cores.
// With arguments (`npm test -- path/or/pattern --flags`), one Jest run over all projects gets them.
// TEST_CLOCK=year-ahead|month-end runs every Jest process (and the servers it starts) under libfaketime
// (Debian's `faketime`), a year ahead or from one minute before the end of the month: see
// scripts/test-time-travel.mjs (`npm run test:time-travel`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jestBin = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const outDir = mkdtempSync(join(tmpdir(), 'simfleet-jest-'));

const extra = process.argv.slice(2);
const runs =
  extra.length > 0
    ? [{ label: 'all', args: extra }]
    : [
        { label: 'unit', args: ['--selectProjects', 'unit'] },
        { label: 'integration-e2e', args: ['--selectProjects', 'integration', 'e2e', '--runInBand'] },
      ];

/** The command that runs `args` with node: as is, or under faketime with the offset of TEST_CLOCK, computed now. */
function command(args) {
  const mode = process.env.TEST_CLOCK;
  if (!mode) return [process.execPath, args];
  const offsetSeconds = clockOffsetSeconds(mode, new Date());
  process.stdout.write(`test: TEST_CLOCK=${mode}: the clock of this run starts at ${new Date(Date.now() + offsetSeconds * 1000).toISOString()}\n`);
  // A relative offset (not a start date) so that every process started later (PostgreSQL, Redis, the
  // built entry points) reads the same clock. The monotonic clock is left alone: timers keep real time.
  return ['faketime', ['-m', '--exclude-monotonic', '-f', `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}`, process.execPath, ...args]];
}

/** Seconds from `now` to the start of the TEST_CLOCK scenario. */
function clockOffsetSeconds(mode, now) {
  if (mode === 'year-ahead') return 365 * 86_400;
  if (mode === 'month-end') {
    // One minute before midnight (UTC, the platform's calendar) on the last day of this month, or of the
    // next one when that minute has passed.
    for (let m = 1; ; m++) {
      const target = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + m, 1) - 60_000;
      if (target > now.getTime()) return Math.round((target - now.getTime()) / 1000);
    }
  }
  throw new Error(`TEST_CLOCK=${mode}: expected year-ahead or month-end`);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
try {
  for (const run of runs) {
    const outputFile = join(outDir, `${run.label}.json`);
    const [cmd, args] = command(['--experimental-vm-modules', jestBin, ...run.args, '--json', '--outputFile', outputFile]);
    const res = spawnSync(cmd, args, {
      cwd: root,
      stdio: 'inherit',
    });
    if (res.error) throw res.error;
    const code = res.status ?? 1; // killed by a signal counts as a failure
    if (res.signal) process.stderr.write(`test: jest (${run.label}) was killed by ${res.signal}\n`);
    if (code !== 0 && exitCode === 0) exitCode = code;
    let report;
    try {
      report = JSON.parse(readFileSync(outputFile, 'utf8'));
    } catch (err) {
      // Jest failed before writing its report (e.g. a global setup error): already printed above.
      process.stderr.write(`test: no Jest report for ${run.label}: ${err instanceof Error ? err.message : String(err)}\n`);
      if (exitCode === 0) exitCode = 1;
      continue;
    }
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (report.numRuntimeErrorTestSuites > 0 && exitCode === 0) exitCode = 1;
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}

process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(exitCode);
