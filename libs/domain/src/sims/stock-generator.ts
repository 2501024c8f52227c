import { DomainError } from '../errors/domain-error.js';
import { withCheckDigit } from './identifiers.js';
import type { FormFactor, StockSim } from './sim.js';

export interface IssuerRange {
  iccidPrefix: string;
  imsiPrefix: string;
  msisdnPrefix: string;
}

/**
 * Generates SIM identities from the issuer range: ICCID = prefix + serial + Luhn digit (19 digits),
 * IMSI = MCC-MNC + serial, MSISDN = prefix + serial. Serials continue after `firstSerial`.
 */
export function generateStock(range: IssuerRange, firstSerial: number, count: number, formFactor: FormFactor): StockSim[] {
  const serialDigits = 18 - range.iccidPrefix.length;
  const imsiDigits = 15 - range.imsiPrefix.length;
  const msisdnDigits = Math.min(15 - (range.msisdnPrefix.length - 1), serialDigits);
  // The last serial that fits every identifier of the range.
  const lastSerial = 10 ** Math.min(serialDigits, imsiDigits, msisdnDigits) - 1;
  if (firstSerial + count - 1 > lastSerial) {
    const room = Math.max(0, lastSerial - firstSerial + 1);
    throw DomainError.conflict(
      `the issuer range ${range.iccidPrefix} has room for ${room} more SIMs; ${count} were asked (configure another SIM_ICCID_PREFIX / SIM_IMSI_PREFIX)`,
      {
        iccidPrefix: range.iccidPrefix,
        room,
      },
    );
  }
  const sims: StockSim[] = [];
  for (let i = 0; i < count; i++) {
    const serial = firstSerial + i;
    const s = String(serial);
    sims.push({
      iccid: withCheckDigit(`${range.iccidPrefix}${s.padStart(serialDigits, '0')}`),
      imsi: `${range.imsiPrefix}${s.padStart(imsiDigits, '0')}`,
      msisdn: `${range.msisdnPrefix}${s.padStart(msisdnDigits, '0')}`,
      eid: null,
      formFactor,
    });
  }
  return sims;
}

/** The serial inside an ICCID of the range (without the check digit). */
export const serialOf = (range: IssuerRange, iccid: string): number => Number(iccid.slice(range.iccidPrefix.length, 18));
