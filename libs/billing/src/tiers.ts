import type { Decimal } from 'decimal.js';
import { D, ZERO } from './decimal.js';

/** A tier covers quantities in (from, upTo]; upTo null = unbounded (only the last tier). */
export interface Tier {
  from: string;
  upTo: string | null;
  unitPrice: string;
  /** Charged once when the quantity reaches into this tier (graduated) or falls in it (volume). */
  flatFee?: string;
}

export interface TieredPrice {
  /** graduated: each slice of the quantity at its tier's price; volume: the whole quantity at the price of the tier it falls in. */
  mode: 'graduated' | 'volume';
  tiers: Tier[];
}

export interface TierBand {
  tierIndex: number;
  from: Decimal;
  upTo: Decimal | null;
  quantity: Decimal;
  unitPrice: Decimal;
  flatFee: Decimal;
  /** quantity × unitPrice, unrounded; the flat fee is kept apart so each can become its own line. */
  usageAmount: Decimal;
}

/** Splits a quantity over the tiers. Zero (or negative) quantity falls in no tier: (0, x] excludes 0. */
export function tierBands(quantity: Decimal, price: TieredPrice): TierBand[] {
  const bands: TierBand[] = [];
  if (quantity.lte(0)) return bands;
  price.tiers.forEach((tier, tierIndex) => {
    const from = new D(tier.from);
    const upTo = tier.upTo === null ? null : new D(tier.upTo);
    const unitPrice = new D(tier.unitPrice);
    const flatFee = tier.flatFee === undefined ? ZERO : new D(tier.flatFee);
    if (price.mode === 'graduated') {
      if (quantity.lte(from)) return;
      const top = upTo === null ? quantity : D.min(quantity, upTo);
      const slice = top.minus(from);
      bands.push({ tierIndex, from, upTo, quantity: slice, unitPrice, flatFee, usageAmount: slice.times(unitPrice) });
    } else if (quantity.gt(from) && (upTo === null || quantity.lte(upTo))) {
      bands.push({ tierIndex, from, upTo, quantity, unitPrice, flatFee, usageAmount: quantity.times(unitPrice) });
    }
  });
  return bands;
}

/** Unrounded amount of a quantity under tiered pricing (usage + flat fees). */
export function tieredAmount(quantity: Decimal, price: TieredPrice): Decimal {
  return tierBands(quantity, price).reduce((acc, b) => acc.plus(b.usageAmount).plus(b.flatFee), ZERO);
}
