/** Luhn (mod 10) check over a string of digits, as ITU-T E.118 uses for ICCIDs and as IMEIs use. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let digit = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export const hasValidLuhn = (digits: string): boolean =>
  /^\d+$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);

/** Why an ICCID is invalid, or null when it is a valid E.118 ICCID (19–20 digits, starting 89, Luhn). */
export function iccidProblem(value: string): string | null {
  if (!/^\d{19,20}$/.test(value)) return 'an ICCID is 19 or 20 digits';
  if (!value.startsWith('89')) return 'an ICCID starts with the telecom industry identifier 89';
  if (!hasValidLuhn(value)) return 'the ICCID check digit (Luhn) is wrong';
  return null;
}

export const isIccid = (value: string): boolean => iccidProblem(value) === null;

export function imeiProblem(value: string): string | null {
  if (!/^\d{15}$/.test(value)) return 'an IMEI is 15 digits';
  if (!hasValidLuhn(value)) return 'the IMEI check digit (Luhn) is wrong';
  return null;
}

export const imsiProblem = (value: string): string | null => (/^\d{15}$/.test(value) ? null : 'an IMSI is 15 digits');

export const msisdnProblem = (value: string): string | null =>
  /^\+[1-9]\d{6,14}$/.test(value) ? null : 'an MSISDN is in E.164 form: + then 7 to 15 digits';

export const eidProblem = (value: string): string | null => (/^\d{32}$/.test(value) ? null : 'an EID is 32 digits');

/** Appends the Luhn check digit to a payload of digits. */
export const withCheckDigit = (payload: string): string => `${payload}${luhnCheckDigit(payload)}`;
