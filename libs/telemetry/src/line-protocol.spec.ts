import { influxString, nanoseconds, toLine } from './line-protocol.js';

describe('InfluxDB line protocol', () => {
  it('sorts tags, types fields and writes the timestamp as given', () => {
    expect(
      toLine(
        'data_session',
        { rat: '4G', iccid: '89', account: 'acc_1' },
        { bytes_up: { int: 12 }, ratio: { float: 0.5 }, id: { str: 's1' }, ok: { bool: true } },
        '1700000000123000000',
      ),
    ).toBe('data_session,account=acc_1,iccid=89,rat=4G bytes_up=12i,ratio=0.5,id="s1",ok=true 1700000000123000000');
  });

  it('escapes commas, spaces and equals in tags, quotes and backslashes in strings', () => {
    expect(toLine('m', { network: 'Vodafone, UK=1' }, { note: { str: 'say "hi" \\o/' } }, '1')).toBe(
      'm,network=Vodafone\\,\\ UK\\=1 note="say \\"hi\\" \\\\o/" 1',
    );
  });

  it('leaves out empty tags and null fields', () => {
    expect(toLine('m', { a: '', b: null, c: undefined, d: 'x' }, { f: null, g: { int: 1 } }, '5')).toBe('m,d=x g=1i 5');
  });

  it('writes milliseconds and a sub-millisecond offset as exact nanoseconds, before 1970 too', () => {
    expect(nanoseconds(1_700_000_000_123)).toBe('1700000000123000000');
    expect(nanoseconds(1_700_000_000_123, 42)).toBe('1700000000123000042');
    expect(nanoseconds(1_700_000_000_123, 999_999)).toBe('1700000000123999999');
    expect(nanoseconds(0, 7)).toBe('7');
    expect(nanoseconds(-1, 1)).toBe('-999999');
  });

  it('quotes InfluxQL string literals', () => {
    expect(influxString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
});
