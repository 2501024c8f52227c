import { MessageRate, SessionRecordMemory } from './message-rate.js';

describe('MessageRate', () => {
  it('lets a burst up to the rate pass, then refills continuously', () => {
    const rate = new MessageRate(10, 0);
    expect(Array.from({ length: 15 }, () => rate.admit(0, 'new')).filter(Boolean)).toHaveLength(10);
    expect(rate.admit(50, 'new')).toBe(false); // half a token
    expect(rate.admit(100, 'new')).toBe(true);
    expect(rate.admit(100, 'new')).toBe(false);
  });

  it('does not count resends: records already accepted always pass, retransmissions up to the allowance', () => {
    const rate = new MessageRate(10, 0, 5);
    for (let i = 0; i < 10; i++) rate.admit(0, 'new');
    expect(Array.from({ length: 50 }, () => rate.admit(0, 'known-records')).every(Boolean)).toBe(true);
    expect(Array.from({ length: 8 }, () => rate.admit(0, 'retransmission')).filter(Boolean)).toHaveLength(5);
    // Past the allowance a retransmission is counted like any message: DUP cannot bypass the limit.
    expect(rate.admit(0, 'retransmission')).toBe(false);
    expect(rate.admit(1_000, 'retransmission')).toBe(true);
  });
});

describe('SessionRecordMemory', () => {
  const iccid = '8988303000000000011';
  const record = (sessionId: string, bytesUp: number, bytesDown: number, endedAt: string | null = null) => ({
    sessionId,
    bytesUp,
    bytesDown,
    endedAt,
  });

  it('knows a record that is not ahead of one already accepted (cumulative counters), and only that', () => {
    const memory = new SessionRecordMemory();
    expect(memory.alreadyAccepted(iccid, [record('s1', 10, 20)])).toBe(false);
    memory.remember(iccid, [record('s1', 100, 200), record('s2', 5, 5)]);
    expect(memory.alreadyAccepted(iccid, [record('s1', 100, 200)])).toBe(true);
    expect(memory.alreadyAccepted(iccid, [record('s1', 50, 150), record('s2', 5, 5)])).toBe(true);
    expect(memory.alreadyAccepted(iccid, [record('s1', 101, 200)])).toBe(false);
    expect(memory.alreadyAccepted(iccid, [record('s1', 100, 200, '2026-11-28T10:00:00Z')])).toBe(false);
    expect(memory.alreadyAccepted(iccid, [record('s1', 100, 200), record('s3', 1, 1)])).toBe(false);
    expect(memory.alreadyAccepted('8988303000000000012', [record('s1', 1, 1)])).toBe(false);
    expect(memory.alreadyAccepted(iccid, [])).toBe(false);
  });

  it('stays bounded: the last sessions of each SIM, the SIMs seen last', () => {
    const memory = new SessionRecordMemory(2, 2);
    memory.remember(iccid, [record('a', 1, 1), record('b', 1, 1), record('c', 1, 1)]);
    expect(memory.alreadyAccepted(iccid, [record('a', 1, 1)])).toBe(false);
    expect(memory.alreadyAccepted(iccid, [record('c', 1, 1)])).toBe(true);
    memory.remember('2', [record('x', 1, 1)]);
    memory.remember('3', [record('x', 1, 1)]);
    expect(memory.alreadyAccepted(iccid, [record('c', 1, 1)])).toBe(false);
    expect(memory.alreadyAccepted('3', [record('x', 1, 1)])).toBe(true);
  });
});
