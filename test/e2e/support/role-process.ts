import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../harness/isolation.js';
import { clockEnv } from '../../support/test-time.js';

/**
 * Runs one role of a build (`buildPlatform()`) as a child process, as `npm run start:<role>` would; resolves
 * once its HTTP port answers /health. The process can then be killed with SIGKILL like a crashed pod.
 */
export async function startRoleProcess(
  buildDir: string,
  role: 'api' | 'broker' | 'worker',
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [path.join(buildDir, `apps/${role}/src/main.js`)], {
    env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env, PORT: String(port), MQTT_PORT: '0', MQTT_WS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${role} process exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) throw new Error(`${role} process did not answer /health on ${port}: ${output}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { child, port, output: () => output };
    await new Promise((r) => setTimeout(r, 200));
  }
}
