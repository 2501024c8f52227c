import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clockEnv } from '../../support/test-time.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

/** A compiled copy of the apps, so that a broker can run as its own process (and be killed with SIGKILL). */
export function buildPlatform(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-broker-build-'));
  execFileSync(path.join(ROOT, 'node_modules/.bin/swc'), ['apps', 'libs', '-d', dir, '--copy-files', '--quiet', '--ignore', '**/*.spec.ts'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/** Runs `apps/broker/src/main.js` of a build as a child process; resolves once its MQTT port accepts connections. */
export async function startBrokerProcess(
  buildDir: string,
  env: Record<string, string>,
  mqttPort: number,
): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(process.execPath, [path.join(buildDir, 'apps/broker/src/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env, MQTT_PORT: String(mqttPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(mqttPort))) {
    if (child.exitCode !== null) throw new Error(`broker process exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) throw new Error(`broker process did not listen on ${mqttPort}: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output };
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
