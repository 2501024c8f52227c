import { withCheckDigit } from './identifiers.js';
import {
  countriesProblems,
  countryAllowed,
  imeisProblems,
  labelsProblems,
  parseSort,
  parseTagFilter,
  resolvePolicy,
  simNameProblem,
  tagsProblems,
} from './sim-organisation.js';

describe('SIM names', () => {
  it.each(['tracker-42', 'Lyon pump 3', 'a', 'x'.repeat(64), '1234567890', '123456789012345678', '123456789012345678901'])('accepts %s', (name) => {
    expect(simNameProblem(name)).toBeNull();
  });

  it.each([
    ['', /1 to 64/],
    ['x'.repeat(65), /1 to 64/],
    [' padded', /space/],
    ['8988280666000000001', /ICCID/],
    ['89882806660000000015', /ICCID/],
    ['a/b', /\//],
    ['what?', /\?/],
    ['100%', /%/],
    ['tab\there', /control/],
    ['summary', /route/],
    ['export', /route/],
  ])('refuses %j', (name, message) => {
    expect(simNameProblem(name)).toMatch(message);
  });
});

describe('tags, labels, IMEIs, countries', () => {
  it('accepts a valid tag set and lists every bad key or value', () => {
    expect(tagsProblems({ env: 'prod', 'site.code': 'LYS-1', build_no: 'a:b' })).toEqual([]);
    expect(tagsProblems({ 'bad key': 'x', 'with:colon': 'y', ok: '' }).map((p) => p.field)).toEqual(['tags/bad key', 'tags/with:colon', 'tags/ok']);
    expect(tagsProblems(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))).toEqual([
      { field: 'tags', message: 'at most 50 tags' },
    ]);
  });

  it('checks labels', () => {
    expect(labelsProblems(['fleet-a', 'pilot'])).toEqual([]);
    expect(labelsProblems(['', ' x', 'ok']).map((p) => p.field)).toEqual(['labels/0', 'labels/1']);
  });

  it('Luhn-checks IMEIs', () => {
    const good = withCheckDigit('35123456789012');
    const bad = `${good.slice(0, 14)}${(Number(good[14]) + 1) % 10}`;
    expect(imeisProblems([good])).toEqual([]);
    expect(imeisProblems([good, bad, '123'])).toEqual([
      { field: 'authorizedImeis/1', message: `${bad}: the IMEI check digit (Luhn) is wrong` },
      { field: 'authorizedImeis/2', message: '123: an IMEI is 15 digits' },
    ]);
  });

  it('accepts ISO alpha-2 countries only', () => {
    expect(countriesProblems(['FR', 'DE', 'US'])).toEqual([]);
    expect(countriesProblems(['fr', 'XX', 'FRA']).map((p) => p.field)).toEqual(['allowedCountries/0', 'allowedCountries/1', 'allowedCountries/2']);
  });
});

describe('effective policy', () => {
  const group = { id: 'grp_1', monthlyDataLimitBytes: 1_000_000, allowedCountries: ['FR', 'DE'] };

  it('inherits each setting from the group unless the SIM overrides it', () => {
    expect(resolvePolicy({ monthlyDataLimitBytes: null, allowedCountries: null }, group)).toEqual({
      monthlyDataLimitBytes: { value: 1_000_000, source: 'group', groupId: 'grp_1' },
      allowedCountries: { value: ['FR', 'DE'], source: 'group', groupId: 'grp_1' },
    });
    expect(resolvePolicy({ monthlyDataLimitBytes: 5, allowedCountries: null }, group)).toEqual({
      monthlyDataLimitBytes: { value: 5, source: 'sim', groupId: null },
      allowedCountries: { value: ['FR', 'DE'], source: 'group', groupId: 'grp_1' },
    });
  });

  it('is none without override or group setting; a zero limit is a limit', () => {
    expect(resolvePolicy({ monthlyDataLimitBytes: null, allowedCountries: null }, null)).toEqual({
      monthlyDataLimitBytes: { value: null, source: 'none', groupId: null },
      allowedCountries: { value: null, source: 'none', groupId: null },
    });
    expect(
      resolvePolicy({ monthlyDataLimitBytes: 0, allowedCountries: null }, { id: 'g', monthlyDataLimitBytes: null, allowedCountries: null })
        .monthlyDataLimitBytes,
    ).toEqual({
      value: 0,
      source: 'sim',
      groupId: null,
    });
  });

  it('tells whether a country is allowed', () => {
    const restricted = resolvePolicy({ monthlyDataLimitBytes: null, allowedCountries: ['FR'] }, null);
    expect(countryAllowed(restricted, 'FR')).toBe(true);
    expect(countryAllowed(restricted, 'DE')).toBe(false);
    expect(countryAllowed(restricted, null)).toBe(false);
    expect(countryAllowed(resolvePolicy({ monthlyDataLimitBytes: null, allowedCountries: null }, null), 'DE')).toBe(true);
  });
});

describe('filters and sorts', () => {
  it('parses key:value tag filters (the value may contain colons)', () => {
    expect(parseTagFilter('env:prod')).toEqual({ key: 'env', value: 'prod' });
    expect(parseTagFilter('url:http://x')).toEqual({ key: 'url', value: 'http://x' });
    expect(parseTagFilter('env')).toBeNull();
    expect(parseTagFilter(':prod')).toBeNull();
    expect(parseTagFilter('env:')).toBeNull();
    expect(parseTagFilter('bad key:x')).toBeNull();
  });

  it('parses sorts', () => {
    expect(parseSort('name')).toEqual({ field: 'name', descending: false });
    expect(parseSort('-lastSeenAt')).toEqual({ field: 'lastSeenAt', descending: true });
  });
});
