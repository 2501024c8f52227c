import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

// The README's quickstart is meant to be pasted as is: run its blocks with bash, against the embedded
// platform, with only what a reader sets by hand (ADMIN) and the ports of this run.
const readme = readFileSync('README.md', 'utf8');
/** Runs a bash script without blocking this process (the platform under test runs in it). */
function bash(script: string, env: Record<string, string>, timeoutMs = 90_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function block(marker: string): string {
  const match = new RegExp(`<!-- ${marker}[^>]*-->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no \`\`\`sh block after <!-- ${marker} -->`);
  return match[1];
}

describe('the README quickstart, pasted as is', () => {
  let resources: ShapeResources;
  let platform: TestPlatform;

  beforeAll(async () => {
    resources = await provisionShape('embedded');
    platform = await startTestPlatform(resources.env);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('creates an account, orders and activates a SIM, reports a session over MQTT, reads it back, and shows a refusal', async () => {
    const script = `${block('quickstart:script')}\n${block('quickstart:refusals')}\n`;
    const run = await bash(script, {
      ADMIN: ADMIN_KEY,
      API: platform.url,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(platform.platform.mqttPorts.tcp),
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain('bytes up 1200, down 34000');
    // The integration watching things/+/errors saw the refusal, naming the field, and diagnostics kept it.
    expect(run.stdout).toMatch(/things\/\d+\/errors \{.*"code":"invalid_record".*bytesUp/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('invalid_record');
  });

  it('refuses to run without the admin key, saying where to find it', async () => {
    const run = await bash(block('quickstart:script'), {});
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('paste the admin key that npm start printed');
  });
});
