import { Decimal } from 'decimal.js';

/**
 * The billing library's own Decimal constructor: a clone, so that configuring precision here never
 * changes the process-wide decimal.js defaults used by other modules. 50 significant digits keep
 * byte × price products of a whole month exact; rounding is explicit per line.
 */
export const D = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -60, toExpPos: 60 });
export type Dec = Decimal;

export const ZERO = new D(0);

/** Prices and quantities travel as decimal strings, never as JS numbers. */
export const DECIMAL_STRING = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export function dec(value: string | bigint | Decimal): Decimal {
  return typeof value === 'bigint' ? new D(value.toString()) : new D(value);
}

export type RoundingMode = 'half-up' | 'half-even' | 'up' | 'down';

const MODES: Record<RoundingMode, Decimal.Rounding> = {
  'half-up': Decimal.ROUND_HALF_UP,
  'half-even': Decimal.ROUND_HALF_EVEN,
  up: Decimal.ROUND_UP,
  down: Decimal.ROUND_DOWN,
};

export interface Rounding {
  decimals: number;
  mode: RoundingMode;
}

export function roundMoney(amount: Decimal, rounding: Rounding): Decimal {
  return amount.toDecimalPlaces(rounding.decimals, MODES[rounding.mode]);
}

/** The currency's minor unit from ICU data (EUR → 2, JPY → 0, BHD → 3). */
export function currencyMinorUnit(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function isCurrencyCode(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency').includes(code) ?? true;
  } catch {
    return false;
  }
}

/** Plain decimal string without exponent; amounts keep their rounded scale ("12.30"). */
export function plain(value: Decimal): string {
  return value.toFixed();
}

export function money(value: Decimal, rounding: Rounding): string {
  return value.toFixed(rounding.decimals);
}
