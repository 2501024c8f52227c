import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs the *built* offline rating CLI (as `npm run rate` does) on the documented examples.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Built inside the repository so the output resolves decimal.js and zod from the project's node_modules.
const cacheDir = path.join(root, 'node_modules', '.cache');
let outDir: string;

function rate(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(outDir, 'scripts', 'rate.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  mkdirSync(cacheDir, { recursive: true });
  outDir = mkdtempSync(path.join(cacheDir, 'rate-cli-'));
  const build = spawnSync(
    path.join(root, 'node_modules', '.bin', 'swc'),
    ['scripts/rate.ts', 'libs/billing/src', '-d', outDir, '--config-file', path.join(root, '.swcrc'), '--quiet', '--ignore', '**/*.spec.ts'],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  if (build.status !== 0) throw new Error(`swc build failed: ${build.stderr}${build.stdout}`);
  writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}\n');
}, 180_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('offline rating CLI (built)', () => {
  it('rates docs/examples to the total computed by hand in docs/billing.md', () => {
    const run = rate(
      '--plan',
      'docs/examples/plan.json',
      '--events',
      'docs/examples/events.ndjson',
      '--things',
      'docs/examples/things.json',
      '--period',
      '2026-10',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const invoice = JSON.parse(run.stdout);
    expect(invoice.total).toBe('206.95');
    expect(invoice.currency).toBe('EUR');
    expect(invoice.period).toMatchObject({ id: '2026-10', start: '2026-10-01T00:00:00+02:00', end: '2026-11-01T00:00:00+01:00' });
    const subtotal = (product: string) => invoice.subtotals.find((s: { product: string }) => s.product === product)?.amount;
    expect([subtotal('things'), subtotal('conversations'), subtotal('moments'), subtotal('channels'), subtotal('signals')]).toEqual([
      '5.52',
      '0.10',
      '200.50',
      '0.48',
      '0.35',
    ]);
    const line = (description: RegExp) => invoice.lines.find((l: { description: string }) => description.test(l.description));
    expect(line(/activation/i)).toMatchObject({ quantity: '1', amount: '2.00' });
    expect(line(/monthly/i)).toMatchObject({ quantity: '2', amount: '3.00' });
  });

  it('prints --help and exits 0', () => {
    const run = rate('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--period <YYYY-MM>');
  });

  it('reports every bad event with file:line and exits 1', () => {
    const dir = mkdtempSync(path.join(cacheDir, 'rate-cli-bad-'));
    try {
      const events = path.join(dir, 'bad.ndjson');
      writeFileSync(
        events,
        [
          '{"id":"ok-1","channel":"sms","type":"mt","to":"+33612345678","at":"2026-10-05T10:00:00+02:00"}',
          '{"id":"bad-1","channel":"sms","type":"mt","to":"+33612345678","at":"2026-10-05T10:00:00"}',
          '{not json',
          '{"id":"bad-2","channel":"fax","type":"mt","at":"2026-10-05T10:00:00Z"}',
        ].join('\n'),
      );
      const run = rate('--plan', 'docs/examples/plan.json', '--events', events, '--period', '2026-10');
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('3 invalid inputs');
      expect(run.stderr).toMatch(new RegExp(`${events.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: at: `));
      expect(run.stderr).toContain(`${events}:3: invalid JSON`);
      expect(run.stderr).toContain(`${events}:4: `);
      expect(run.stderr).not.toContain(`${events}:1:`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rates several --events files together, as one', () => {
    const dir = mkdtempSync(path.join(cacheDir, 'rate-cli-split-'));
    try {
      // The documented example split in two files: the same invoice as from one file (issue #15: only the last was rated).
      const lines = readFileSync(path.join(root, 'docs/examples/events.ndjson'), 'utf8').split('\n');
      const half = Math.floor(lines.length / 2);
      const [a, b] = [path.join(dir, 'a.ndjson'), path.join(dir, 'b.ndjson')];
      writeFileSync(a, lines.slice(0, half).join('\n'));
      writeFileSync(b, lines.slice(half).join('\n'));
      const run = rate(
        '--plan',
        'docs/examples/plan.json',
        '--events',
        a,
        '--events',
        b,
        '--things',
        'docs/examples/things.json',
        '--period',
        '2026-10',
      );
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).total).toBe('206.95');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses any other repeated option with exit 2, naming it', () => {
    for (const option of ['--plan', '--things', '--period']) {
      const value = option === '--period' ? '2026-10' : option === '--plan' ? 'docs/examples/plan.json' : 'docs/examples/things.json';
      const base = ['--plan', 'docs/examples/plan.json', '--things', 'docs/examples/things.json', '--period', '2026-10'];
      const run = rate(...base, option, value);
      expect({ option, code: run.code, stdout: run.stdout }).toEqual({ option, code: 2, stdout: '' });
      expect(run.stderr).toContain(`${option} is given 2 times: give it once`);
    }
  });

  it('exits 2 on a bad command line', () => {
    expect(rate('--plan', 'docs/examples/plan.json', '--period', '2026-13').code).toBe(2);
    expect(rate('--bogus').code).toBe(2);
  });
});
