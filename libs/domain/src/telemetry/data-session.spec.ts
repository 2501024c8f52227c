import { dataSessionOf, mergeDataSession, networkName, sameRatedFacts, sessionEnded, sessionGrew, sessionStarted } from './data-session.js';

const record = (overrides: Record<string, unknown> = {}) => ({
  sessionId: 's1',
  startedAt: '2026-11-28T10:00:00Z',
  endedAt: null,
  bytesUp: 100,
  bytesDown: 1000,
  mcc: '208',
  mnc: '01',
  rat: '4G' as const,
  ...overrides,
});
const sent = (overrides: Record<string, unknown> = {}, receivedAt = '2026-11-28T10:05:00Z') => ({
  accountId: 'acc_1',
  iccid: '8988303000000000017',
  receivedAt,
  record: record(overrides),
});
const orange = { name: 'Orange', country: 'FR' };

describe('DataSession', () => {
  it('is built from a record: the directory names the network unless the device did, the cell id is text', () => {
    expect(dataSessionOf(sent({ cellId: 4711 }), orange)).toEqual({
      accountId: 'acc_1',
      iccid: '8988303000000000017',
      sessionId: 's1',
      startedAt: new Date('2026-11-28T10:00:00Z'),
      endedAt: null,
      bytesUp: 100,
      bytesDown: 1000,
      mcc: '208',
      mnc: '01',
      network: 'Orange',
      country: 'FR',
      rat: '4G',
      cellId: '4711',
      imei: null,
      receivedAt: new Date('2026-11-28T10:05:00Z'),
      rating: null,
    });
    expect(dataSessionOf(sent({ network: 'Orange F' }), orange).network).toBe('Orange F');
    expect(dataSessionOf(sent({ network: ' \n ' }), orange).network).toBe('Orange');
  });

  it('keeps a network name every store can hold', () => {
    expect(networkName('Voda\nfone\\UK\t ')).toBe('Voda fone/UK');
    expect(networkName('\u0000')).toBeNull();
    expect(networkName(undefined)).toBeNull();
  });

  it('folds a later record: first start and network stay, counters only grow, an end once seen stays', () => {
    const first = dataSessionOf(sent({ endedAt: '2026-11-28T10:30:00Z' }), orange);
    const later = dataSessionOf(
      sent(
        { startedAt: '2026-11-28T10:00:01Z', mnc: '10', bytesUp: 50, bytesDown: 2000, endedAt: null, imei: '490154203237518' },
        '2026-11-28T10:40:00Z',
      ),
      { name: 'SFR', country: 'FR' },
    );
    const merged = mergeDataSession(first, later);
    expect(merged).toMatchObject({
      startedAt: first.startedAt,
      mnc: '01',
      network: 'Orange',
      bytesUp: 100,
      bytesDown: 2000,
      endedAt: new Date('2026-11-28T10:30:00Z'),
      imei: '490154203237518',
      receivedAt: new Date('2026-11-28T10:40:00Z'),
    });
    expect(sameRatedFacts(first, merged)).toBe(false);
    expect(sameRatedFacts(merged, mergeDataSession(merged, first))).toBe(true);
  });

  it('tells what a batch did to a session', () => {
    const before = dataSessionOf(sent(), orange);
    const grown = { ...before, bytesDown: 1500 };
    const ended = { ...grown, endedAt: new Date('2026-11-28T11:00:00Z') };
    expect([sessionStarted({ before: null, after: before }), sessionGrew({ before: null, after: before })]).toEqual([true, false]);
    expect([sessionStarted({ before, after: grown }), sessionGrew({ before, after: grown }), sessionEnded({ before, after: grown })]).toEqual([
      false,
      true,
      false,
    ]);
    expect([sessionEnded({ before: grown, after: ended }), sessionEnded({ before: ended, after: ended })]).toEqual([true, false]);
  });
});
