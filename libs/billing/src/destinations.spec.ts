import { MCC_COUNTRIES, networkCountry, PrefixTable } from './destinations.js';

describe('longest E.164 prefix', () => {
  const table = new PrefixTable({ '+33': 'FR', '+336': 'FR mobile', '+3361': 'FR mobile 61', '1': 'NANP' });
  it.each([
    ['+33612345678', '+3361', 'FR mobile 61'],
    ['+33712345678', '+33', 'FR'],
    ['33 6 99 00 00 00', '+336', 'FR mobile'],
    ['+12125550100', '+1', 'NANP'],
  ])('%s → %s', (number, prefix, value) => {
    expect(table.match(number)).toEqual({ prefix, value });
  });
  it('no match', () => expect(table.match('+4915112345678')).toBeUndefined());
});

describe('MCC-MNC → country', () => {
  it.each([
    ['208', '01', undefined, 'FR'],
    ['234', '15', undefined, 'GB'],
    ['235', '02', undefined, 'GB'],
    ['311', '480', undefined, 'US'],
    ['901', '28', { '90128': 'XX' }, 'XX'],
    ['208', '01', { '208-01': 'MC' }, 'MC'],
    ['999', '99', undefined, undefined],
  ])('%s-%s → %s', (mcc, mnc, overrides, country) => {
    expect(networkCountry(mcc, mnc, overrides)).toBe(country);
  });
  it('covers the main markets', () => expect(MCC_COUNTRIES.size).toBeGreaterThan(200));
});
