import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU seconds used so far by this process and each of its descendants, by role (Linux /proc). */
export type CpuSnapshot = Map<number, { role: string; seconds: number }>;

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

function roleOf(pid: number, cmdline: string): string {
  if (pid === process.pid) return 'load generator (mqtt.js)';
  const app = /apps\/(api|broker|worker)\/(?:src\/)?main\.js/.exec(cmdline);
  if (app) return app[1];
  if (cmdline.startsWith('postgres') || cmdline.includes('/postgres ')) return 'PostgreSQL';
  if (cmdline.includes('redis-server')) return 'Redis';
  if (cmdline.includes('influxd')) return 'InfluxDB';
  if (cmdline.includes('mosquitto')) return 'Mosquitto';
  return 'other';
}

export function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  if (!existsSync('/proc/self/stat')) return snapshot;
  const procs: Array<{ pid: number; ppid: number; seconds: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      procs.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
        cmdline,
      });
    } catch {
      // the process ended while being read
    }
  }
  const parentOf = new Map(procs.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number) => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  for (const p of procs) if (descends(p.pid)) snapshot.set(p.pid, { role: roleOf(p.pid, p.cmdline), seconds: p.seconds });
  return snapshot;
}

/** CPU microseconds per record by role between two snapshots, busiest first, and the total. */
export function cpuPerRecord(
  before: CpuSnapshot,
  after: CpuSnapshot,
  records: number,
): { roles: Array<[string, number]>; total: number; cores: number } {
  const byRole = new Map<string, number>();
  for (const [pid, { role, seconds }] of after) byRole.set(role, (byRole.get(role) ?? 0) + seconds - (before.get(pid)?.seconds ?? 0));
  const roles = [...byRole]
    .map(([role, seconds]) => [role, (seconds * 1e6) / records] as [string, number])
    .filter(([, us]) => us >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  return { roles, total: roles.reduce((sum, [, us]) => sum + us, 0), cores: cpus().length };
}
