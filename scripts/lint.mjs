#!/usr/bin/env node
// `npm run lint`: ESLint (type-aware rules, the architecture's boundaries) and Prettier's check, side by side:
// the two are independent, and one after the other they took longer than CI's budget for lint.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (name, bin, args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', bin), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ name, code: code ?? 1, output }));
  });

const results = await Promise.all([run('eslint', 'eslint/bin/eslint.js', ['.']), run('prettier', 'prettier/bin/prettier.cjs', ['--check', '.'])]);
for (const { name, code, output } of results) {
  process.stdout.write(`${name}: ${code === 0 ? 'ok' : 'failed'}\n`);
  if (output.trim() && code !== 0) process.stdout.write(`${output.trimEnd()}\n`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
