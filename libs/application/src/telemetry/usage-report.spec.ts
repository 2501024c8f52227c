import type { SessionTotalsRow } from '@simfleet/telemetry';
import { assertRange, csvField, foldNetworkStats, foldUsage, networkStatsGeoJson, usageReportCsv } from './usage-report.js';

const row = (
  iccid: string,
  mcc: string,
  mnc: string,
  rat: string,
  bytesUp: number,
  bytesDown: number,
  sessions: number,
  network: string | null,
  country: string | null,
): SessionTotalsRow => ({
  iccid,
  mcc,
  mnc,
  rat,
  bytesUp,
  bytesDown,
  sessions,
  network,
  country,
});

// Two SIMs, one of them on two networks and two RATs of the same network.
const rows = [
  row('A', '208', '01', 'LTE-M', 10, 100, 2, 'Orange', 'FR'),
  row('A', '208', '01', 'NB-IoT', 1, 9, 1, 'Orange', 'FR'),
  row('A', '262', '01', '4G', 5, 5, 1, 'Telekom', 'DE'),
  row('B', '208', '01', 'LTE-M', 20, 200, 3, 'Orange', 'FR'),
  row('B', '999', '99', '2G', 1, 1, 1, null, null),
];

describe('usage report folding', () => {
  it('counts distinct SIMs per group rather than summing them', () => {
    expect(foldUsage(rows, 'country')).toEqual([
      { key: 'FR', label: 'France', bytesUp: 31, bytesDown: 309, bytesTotal: 340, sessions: 6, sims: 2 },
      { key: 'DE', label: 'Germany', bytesUp: 5, bytesDown: 5, bytesTotal: 10, sessions: 1, sims: 1 },
      { key: null, label: 'Unknown country', bytesUp: 1, bytesDown: 1, bytesTotal: 2, sessions: 1, sims: 1 },
    ]);
    expect(foldUsage(rows, 'sim', new Map([['A', 'pump']]))).toEqual([
      { key: 'B', label: 'B', bytesUp: 21, bytesDown: 201, bytesTotal: 222, sessions: 4, sims: 1 },
      { key: 'A', label: 'pump', bytesUp: 16, bytesDown: 114, bytesTotal: 130, sessions: 4, sims: 1 },
    ]);
    expect(foldUsage(rows, 'network').map((r) => [r.key, r.label, r.bytesTotal, r.sims])).toEqual([
      ['208-01', 'Orange', 340, 2],
      ['262-01', 'Telekom', 10, 1],
      ['999-99', '999-99', 2, 1],
    ]);
  });

  it('splits a network by RAT', () => {
    const [orange] = foldNetworkStats(rows);
    expect(orange).toEqual({
      key: '208-01',
      mcc: '208',
      mnc: '01',
      name: 'Orange',
      country: 'FR',
      sessions: 6,
      bytesUp: 31,
      bytesDown: 309,
      bytesTotal: 340,
      sims: 2,
      rats: [
        { rat: 'LTE-M', sessions: 5, bytesTotal: 330, sims: 2 },
        { rat: 'NB-IoT', sessions: 1, bytesTotal: 10, sims: 1 },
      ],
    });
  });

  it('maps countries to centroid points, an unknown country to a null geometry', () => {
    const geo = networkStatsGeoJson(rows);
    expect(geo.features.map((f) => [f.id, f.geometry?.coordinates ?? null, f.properties.sims])).toEqual([
      ['FR', [2.213749, 46.227638], 2],
      ['DE', [10.451526, 51.165691], 1],
      ['unknown', null, 1],
    ]);
  });

  it('quotes CSV fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(usageReportCsv([{ key: null, label: 'x,y', bytesUp: 1, bytesDown: 2, bytesTotal: 3, sessions: 1, sims: 1 }])).toBe(
      'key,label,bytesUp,bytesDown,bytesTotal,sessions,sims\r\n,"x,y",1,2,3,1,1\r\n',
    );
  });

  it('refuses empty, reversed and over-long ranges', () => {
    const at = (s: string) => new Date(s);
    expect(() => assertRange(at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow('`to` must be after `from`');
    expect(() => assertRange(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow('`to` must be after `from`');
    expect(() => assertRange(at('2020-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow('longer than');
    expect(() => assertRange(at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'))).not.toThrow();
  });
});
