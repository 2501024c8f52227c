import type { FormFactor } from '../sims/sim.js';

export const ORDER_STATUSES = ['pending', 'allocated', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  postalCode: string;
  city: string;
  country: string;
}

export interface Order {
  id: string;
  accountId: string;
  quantity: number;
  formFactor: FormFactor;
  shippingAddress: ShippingAddress | null;
  status: OrderStatus;
  /** Why the order waits (e.g. not enough stock), null otherwise. */
  statusReason: string | null;
  /** Logistics, filled when the order ships (an admin step, or the simulated logistics). */
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
