import type { SimBlock, SimStatus } from './sim-lifecycle.js';

export const FORM_FACTORS = ['2FF', '3FF', '4FF', 'MFF2'] as const;
export type FormFactor = (typeof FORM_FACTORS)[number];

export interface EndUserDeviceDeclaration {
  declared: boolean;
  declaredBy: string | null;
  declaredAt: Date | null;
}

export interface LastLocation {
  lat: number;
  lon: number;
  accuracyM: number | null;
  source: string | null;
  at: Date;
}

export interface Sim {
  iccid: string;
  imsi: string;
  msisdn: string | null;
  eid: string | null;
  formFactor: FormFactor | null;
  accountId: string | null;
  orderId: string | null;
  name: string | null;
  status: SimStatus;
  blocks: SimBlock[];
  tags: Record<string, string>;
  groupId: string | null;
  labels: string[];
  endUserDevice: EndUserDeviceDeclaration;
  authorizedImeis: string[];
  hasCredentials: boolean;
  firstActivatedAt: Date | null;
  lastSeenAt: Date | null;
  mcc: string | null;
  mnc: string | null;
  network: string | null;
  country: string | null;
  rat: string | null;
  imei: string | null;
  signalDbm: number | null;
  firmware: string | null;
  lastLocation: LastLocation | null;
  allocatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A SIM as the broker needs it to authenticate a device. */
export interface SimCredentials {
  iccid: string;
  accountId: string;
  status: SimStatus;
  blocks: SimBlock[];
  secretHash: string | null;
}

export interface SimHistoryEntry {
  id: number;
  iccid: string;
  from: SimStatus | null;
  to: SimStatus;
  action: string;
  actor: string;
  reason: string | null;
  blocks: string[];
  at: Date;
}

export interface StockSim {
  iccid: string;
  imsi: string;
  msisdn: string | null;
  eid: string | null;
  formFactor: FormFactor | null;
}
