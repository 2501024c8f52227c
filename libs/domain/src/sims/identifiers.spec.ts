import { eidProblem, hasValidLuhn, iccidProblem, imeiProblem, imsiProblem, luhnCheckDigit, msisdnProblem, withCheckDigit } from './identifiers.js';
import { generateStock, serialOf } from './stock-generator.js';

describe('Luhn check digit (ITU-T E.118 ICCIDs, IMEIs)', () => {
  it.each([
    ['7992739871', 3],
    ['898830300000000001', 0],
    ['49015420323751', 8],
    ['0', 0],
  ])('the check digit of %s is %d', (payload, digit) => expect(luhnCheckDigit(payload)).toBe(digit));

  it('accepts a number carrying its check digit and refuses any single-digit change', () => {
    const valid = withCheckDigit('898830300000000001');
    expect(hasValidLuhn(valid)).toBe(true);
    for (let i = 0; i < valid.length; i++) {
      const changed = valid.slice(0, i) + ((Number(valid[i]) + 1) % 10) + valid.slice(i + 1);
      expect(hasValidLuhn(changed)).toBe(false);
    }
  });
});

describe('identifier validation', () => {
  it.each([
    ['8988303000000000010', null],
    ['89883030000000000171', null],
    ['89883030000000000172', 'the ICCID check digit (Luhn) is wrong'],
    ['8988303000000000011', 'the ICCID check digit (Luhn) is wrong'],
    ['898830300000000001', 'an ICCID is 19 or 20 digits'],
    ['8988303000000000a17', 'an ICCID is 19 or 20 digits'],
    ['1288303000000000017', 'an ICCID starts with the telecom industry identifier 89'],
  ])('ICCID %s → %s', (iccid, problem) => expect(iccidProblem(iccid)).toBe(problem));

  it.each([
    ['490154203237518', null],
    ['490154203237519', 'the IMEI check digit (Luhn) is wrong'],
    ['49015420323751', 'an IMEI is 15 digits'],
  ])('IMEI %s → %s', (imei, problem) => expect(imeiProblem(imei)).toBe(problem));

  it('checks IMSI, MSISDN (E.164) and EID shapes', () => {
    expect(imsiProblem('901280000000001')).toBeNull();
    expect(imsiProblem('90128000000001')).toMatch(/15 digits/);
    expect(msisdnProblem('+882390000001')).toBeNull();
    expect(msisdnProblem('882390000001')).toMatch(/E\.164/);
    expect(msisdnProblem('+0123456789')).toMatch(/E\.164/);
    expect(eidProblem('8904903200000000000000000000014'.padEnd(32, '0'))).toBeNull();
    expect(eidProblem('123')).toMatch(/32 digits/);
  });
});

describe('stock generation from the issuer range', () => {
  const range = { iccidPrefix: '8988303', imsiPrefix: '90128', msisdnPrefix: '+88239' };

  it('issues consecutive valid identities', () => {
    const sims = generateStock(range, 41, 3, '4FF');
    expect(sims.map((s) => s.iccid)).toEqual(['8988303000000000416', '8988303000000000424', '8988303000000000432']);
    for (const sim of sims) {
      expect(iccidProblem(sim.iccid)).toBeNull();
      expect(imsiProblem(sim.imsi)).toBeNull();
      expect(msisdnProblem(sim.msisdn!)).toBeNull();
      expect(sim.formFactor).toBe('4FF');
    }
    expect(sims[0].imsi).toBe('901280000000041');
    expect(serialOf(range, sims[2].iccid)).toBe(43);
  });

  it('refuses to run past the end of the range, saying how much room is left', () => {
    expect(() => generateStock({ ...range, iccidPrefix: '8988303123' }, 99_999_999, 2, '4FF')).toThrow(/has room for 1 more SIMs; 2 were asked/);
    // An imported ICCID with a serial too long for the IMSI part leaves no room at all.
    expect(() => generateStock(range, 10_000_000_000, 1, '4FF')).toThrow(/has room for 0 more SIMs/);
  });
});
