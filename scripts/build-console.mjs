#!/usr/bin/env node
// Builds the operator console (apps/console, Vite) into dist/console, which the api role serves at `/`.
// Part of `npm run build` (so `npm start` serves it with no extra step). Skipped when nothing it is built from
// changed since the last build (a stamp of its sources and the lockfile); `--force` builds anyway.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'apps/console');
const out = path.join(root, 'dist/console');
const stampFile = path.join(out, '.build-stamp');

function files(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const file = path.join(dir, name);
      if (name === 'node_modules' || name === 'dist') return [];
      return statSync(file).isDirectory() ? files(file) : [file];
    });
}

export function sourceStamp() {
  const hash = createHash('sha256');
  for (const file of [...files(source), path.join(root, 'package-lock.json')]) {
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

export async function buildConsole({ force = false, quiet = false } = {}) {
  const stamp = sourceStamp();
  if (!force && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(path.join(out, 'index.html'))) return false;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    process.stderr.write('console: vite is not installed (npm install without --omit=dev builds it); the api serves a notice at / instead\n');
    return false;
  }
  await vite.build({ configFile: path.join(source, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info', mode: 'production' });
  writeFileSync(stampFile, stamp);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildConsole({ force: process.argv.includes('--force'), quiet: process.argv.includes('--quiet') });
}
