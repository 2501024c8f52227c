/**
 * Rating benchmark: streams data-session ledger rows for a fleet of SIMs plus events of the other
 * channels into monthly invoices and prints records/s.
 *   npm run bench:rating [-- --sessions 10000000 --sims 100000 --events 1000000 --tenants 10]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PLAN, InvoiceBuilder, type DataSessionRow } from '@simfleet/billing';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000000' },
    sims: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    tenants: { type: 'string', default: '10' },
  },
});
const SESSIONS = Number(values.sessions);
const SIMS = Number(values.sims);
const EVENTS = Number(values.events);
const TENANTS = Number(values.tenants);
const PERIOD = '2026-10';

// Deterministic pseudo-random numbers (xorshift32), so every run rates the same records.
let seed = 0x9e3779b9;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

// Pools keep generation cheap; each record is still a fresh object handed to the rater.
const iccids = Array.from({ length: SIMS }, (_, i) => `8988${String(i).padStart(15, '0')}`);
const monthStart = Date.parse('2026-10-01T00:00:00+02:00');
const instants = Array.from({ length: 20_000 }, (_, i) => new Date(monthStart + Math.floor((i / 20_000) * 30 * 86_400_000)).toISOString());
const networks: Array<[string, string]> = [
  ['208', '01'],
  ['208', '10'],
  ['262', '01'],
  ['262', '02'],
  ['234', '15'],
  ['214', '07'],
  ['222', '10'],
  ['310', '260'],
  ['311', '480'],
  ['302', '720'],
  ['440', '10'],
  ['505', '01'],
  ['724', '05'],
  ['404', '45'],
  ['655', '01'],
  ['901', '28'],
];

function* dataSessions(): Generator<DataSessionRow> {
  for (let i = 0; i < SESSIONS; i++) {
    const [mcc, mnc] = networks[rnd(networks.length)]!;
    yield {
      iccid: iccids[i % SIMS]!,
      sessionId: String(i),
      startedAt: instants[rnd(instants.length)]!,
      bytesUp: rnd(200_000),
      bytesDown: rnd(2_000_000),
      mcc,
      mnc,
    };
  }
}

const users = Array.from({ length: 50_000 }, (_, i) => `+3361${String(i).padStart(7, '0')}`);
function* otherEvents(): Generator<Record<string, unknown>> {
  for (let i = 0; i < EVENTS; i++) {
    const at = instants[rnd(instants.length)]!;
    const to = users[rnd(users.length)]!;
    const id = `ev${i}`;
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
        yield { id, channel: 'sms', type: 'mt', to, segments: 1 + rnd(3), at, ...(rnd(20) === 0 ? { blocked: true } : {}) };
        break;
      case 3:
        yield { id, channel: 'sms', type: 'mo', from: to, at };
        break;
      case 4:
        yield { id, channel: 'whatsapp', type: 'mo', sender: 'S1', from: to, at };
        break;
      case 5:
        yield {
          id,
          channel: 'whatsapp',
          type: 'template',
          sender: 'S1',
          to,
          category: ['utility', 'marketing', 'authentication'][rnd(3)],
          delivered: true,
          at,
        };
        break;
      case 6:
        yield { id, channel: 'voice', type: 'call', callId: id, service: 'ivr', to, answered: rnd(5) !== 0, durationSeconds: rnd(600), at };
        break;
      case 7:
        yield {
          id,
          channel: 'viber',
          type: 'message',
          sender: `V${rnd(3)}`,
          to,
          messageType: rnd(2) ? 'session' : 'promotional',
          delivered: true,
          at,
        };
        break;
      case 8:
        yield { id, channel: 'email', type: 'submitted', to: `u${rnd(100_000)}@example.com`, at };
        break;
      default:
        yield { id, channel: 'push', type: 'notification', to: `device-${rnd(100_000)}`, at };
    }
  }
}

function main(): void {
  const started = process.hrtime.bigint();
  const builders = Array.from({ length: TENANTS }, () => new InvoiceBuilder(DEFAULT_PLAN, PERIOD));
  const tenantOf = new Map<string, number>(iccids.map((iccid, i) => [iccid, i % TENANTS]));
  for (const iccid of iccids) {
    const b = builders[tenantOf.get(iccid)!]!;
    b.addSim({ iccid, firstActivatedAt: '2026-09-15T00:00:00Z' });
    b.addSimStatus({ iccid, status: 'active', at: '2026-09-15T00:00:00Z' });
  }
  let rows = 0;
  for (const row of dataSessions()) {
    builders[tenantOf.get(row.iccid)!]!.addDataSession(row);
    rows++;
  }
  const afterData = process.hrtime.bigint();
  let events = 0;
  for (const e of otherEvents()) {
    builders[events % TENANTS]!.addEvent(e);
    events++;
  }
  const afterEvents = process.hrtime.bigint();
  const invoices = builders.map((b) => b.build());
  const done = process.hrtime.bigint();

  const s = (a: bigint, b: bigint) => Number(b - a) / 1e9;
  const total = rows + events;
  const seconds = s(started, done);
  const summary = {
    records: total,
    dataSessions: rows,
    otherEvents: events,
    sims: SIMS,
    invoices: invoices.length,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(total / seconds),
    phases: {
      dataSessionsPerSecond: Math.round(rows / s(started, afterData)),
      eventsPerSecond: Math.round(events / s(afterData, afterEvents)),
      buildSeconds: Number(s(afterEvents, done).toFixed(2)),
    },
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1_048_576),
    firstInvoice: { total: invoices[0]!.total, lines: invoices[0]!.lines.length, unrated: invoices[0]!.unrated.length },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `rated ${total.toLocaleString('en')} records in ${seconds.toFixed(1)} s → ${summary.recordsPerSecond.toLocaleString('en')} records/s\n`,
  );
}

main();
