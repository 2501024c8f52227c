import { LocalDeviceSessions, type DeviceSessions } from './device-sessions.js';

describe('LocalDeviceSessions', () => {
  let sessions: DeviceSessions;
  beforeEach(() => (sessions = new LocalDeviceSessions()));
  afterEach(() => sessions.close());

  it('reports a request as carried out only when a broker holds the device', async () => {
    const seen: string[] = [];
    await sessions.onRequest((iccid, request) => {
      seen.push(`a:${iccid}:${request.kind}`);
      return iccid === 'held-by-a';
    });
    await sessions.onRequest((iccid, request) => {
      seen.push(`b:${iccid}:${request.kind}`);
      return iccid === 'held-by-b';
    });
    expect(await sessions.request('held-by-b', { kind: 'reset' }, 1_000)).toBe(true);
    expect(await sessions.request('nobody', { kind: 'ping', correlationId: 'c-1' }, 1_000)).toBe(false);
    expect(seen).toEqual(['a:held-by-b:reset', 'b:held-by-b:reset', 'a:nobody:ping', 'b:nobody:ping']);
  });

  it('resolves an expected answer when it arrives, and false at its timeout or on cancel', async () => {
    const answered = await sessions.expectAnswer('c-1', 5_000);
    await sessions.answered('c-other');
    await sessions.answered('c-1');
    expect(await answered.answer).toBe(true);

    const timedOut = await sessions.expectAnswer('c-2', 20);
    expect(await timedOut.answer).toBe(false);
    await sessions.answered('c-2'); // too late: nothing waits any more

    const cancelled = await sessions.expectAnswer('c-3', 5_000);
    cancelled.cancel();
    expect(await cancelled.answer).toBe(false);
  });

  it('passes disconnect orders with their reason to every broker', async () => {
    const orders: string[] = [];
    await sessions.onDisconnect((iccid, reason) => orders.push(`${iccid}:${reason}`));
    await sessions.disconnect('8988303000000000012', 'kicked_suspended');
    await sessions.disconnectMany(['8988303000000000020', '8988303000000000038'], 'kicked_terminated');
    expect(orders).toEqual([
      '8988303000000000012:kicked_suspended',
      '8988303000000000020:kicked_terminated',
      '8988303000000000038:kicked_terminated',
    ]);
  });
});
