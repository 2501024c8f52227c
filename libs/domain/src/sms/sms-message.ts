import type { SmsEncoding } from './sms-encoding.js';

export const SMS_KINDS = ['sms', 'wake-up'] as const;
export type SmsKind = (typeof SMS_KINDS)[number];

/** queued → sent → delivered, or failed / expired. The last three are final. */
export const SMS_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'expired'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];
export const FINAL_SMS_STATUSES: readonly SmsStatus[] = ['delivered', 'failed', 'expired'];

/** The text a wake-up SMS carries when the caller gives none: the device firmware looks only at `kind`. */
export const DEFAULT_WAKE_UP_TEXT = 'WAKE-UP';

export interface SmsMessage {
  id: string;
  accountId: string;
  iccid: string;
  kind: SmsKind;
  text: string;
  encoding: SmsEncoding;
  segments: number;
  status: SmsStatus;
  statusReason: string | null;
  /** Which gateway carries it: `network-simulator` or `http-provider`. */
  gateway: string;
  gatewayMessageId: string | null;
  validityUntil: Date;
  /** When the platform accepted it and handed it on: the billing moment (each segment is one SMS MT). */
  submittedAt: Date | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether a status change is a move forward (reports may arrive late, twice or out of order). */
export function smsStatusAdvances(from: SmsStatus, to: SmsStatus): boolean {
  if (FINAL_SMS_STATUSES.includes(from)) return false;
  if (from === to) return false;
  return !(from === 'sent' && to === 'queued');
}
