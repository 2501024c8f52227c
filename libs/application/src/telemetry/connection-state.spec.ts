import type { Sim } from '@simfleet/domain';
import type { LedgerSession } from '@simfleet/persistence';
import { ONLINE_SILENCE_MS, TelemetryConnectionState } from './connection-state.js';

const now = new Date('2026-11-28T12:00:00Z');
const sim = (patch: Partial<Sim>): Sim =>
  ({ status: 'active', blocks: [], lastSeenAt: null, updatedAt: new Date('2026-11-01T00:00:00Z'), ...patch }) as Sim;
const ledger = (startedAt: string, endedAt: string | null): LedgerSession => ({
  sessionId: 's',
  startedAt: new Date(startedAt),
  endedAt: endedAt ? new Date(endedAt) : null,
  bytesUp: 0,
  bytesDown: 0,
  mcc: '208',
  mnc: '01',
  network: null,
  country: null,
  rat: '4G',
  updatedAt: now,
});

describe('connection state derived from telemetry', () => {
  const source = new TelemetryConnectionState();

  it('is blocked when the SIM may not connect', async () => {
    expect(await source.stateOf(sim({ status: 'suspended' }), { open: null, last: null }, now)).toEqual({
      state: 'blocked',
      since: new Date('2026-11-01T00:00:00Z'),
      source: 'telemetry',
    });
    expect((await source.stateOf(sim({ blocks: ['unauthorized_imei'] }), { open: null, last: null }, now)).state).toBe('blocked');
  });

  it('is online since the open session started while the device keeps reporting', async () => {
    const open = ledger('2026-11-28T11:00:00Z', null);
    expect(await source.stateOf(sim({ lastSeenAt: new Date(now.getTime() - 60_000) }), { open, last: open }, now)).toEqual({
      state: 'online',
      since: open.startedAt,
      source: 'telemetry',
    });
  });

  it('is offline once the device went silent, or since its last session ended', async () => {
    const open = ledger('2026-11-28T09:00:00Z', null);
    const silentSince = new Date(now.getTime() - ONLINE_SILENCE_MS - 1);
    expect(await source.stateOf(sim({ lastSeenAt: silentSince }), { open, last: open }, now)).toEqual({
      state: 'offline',
      since: silentSince,
      source: 'telemetry',
    });
    const ended = ledger('2026-11-28T09:00:00Z', '2026-11-28T11:59:00Z');
    expect(await source.stateOf(sim({ lastSeenAt: new Date('2026-11-28T11:58:00Z') }), { open: null, last: ended }, now)).toEqual({
      state: 'offline',
      since: ended.endedAt,
      source: 'telemetry',
    });
    expect(await source.stateOf(sim({}), { open: null, last: null }, now)).toEqual({ state: 'offline', since: null, source: 'telemetry' });
  });
});
