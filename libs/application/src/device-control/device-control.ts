import type { KickReason, SmsEncoding, SmsKind } from '@simfleet/domain';

/**
 * The control plane between the API / lifecycle (which decide) and the broker holding a device's
 * connection (which acts): its messages, their answers, and the port use cases call. The broker's
 * handlers are `apps/broker/src/control-plane/device-control.controller.ts`.
 */
export const DEVICE_CONTROL = {
  /** Event, to every broker: drop the device's connection. */
  disconnect: 'device.disconnect',
  /** Request, to the broker holding the device: a ping on its commands topic, answered on its status topic. */
  ping: 'device.ping',
  /** Request: close the device's connection (it is expected to reconnect). */
  reset: 'device.reset',
  /** Request: deliver a mobile-terminated SMS on the device's connection. */
  sms: 'device.sms',
} as const;

/** What a device receives on `things/{iccid}/sms` (docs/sms.md). */
export interface DeviceSms {
  id: string;
  kind: SmsKind;
  text: string;
  encoding: SmsEncoding;
  segments: number;
  sentAt: string;
}

/**
 * - `delivered`: the device was connected, subscribed to its SMS topic, and acknowledged the message
 *   (PUBACK at QoS 1; at QoS 0, written to its connection);
 * - `not-subscribed`: connected, but not subscribed to `things/{iccid}/sms`;
 * - `not-acknowledged`: written to the connection, but no PUBACK came in time;
 * - `not-connected`: no broker holds a connection of this SIM.
 */
export type DownlinkOutcome = 'delivered' | 'not-subscribed' | 'not-acknowledged' | 'not-connected';

/** One order for many devices (a bulk job's chunk): one message to the brokers, not one per device. */
export interface DisconnectOrder {
  iccids: string[];
  reason: KickReason;
}
export interface PingRequest {
  iccid: string;
  correlationId: string;
  timeoutMs: number;
}
export interface ResetRequest {
  iccid: string;
}
export interface SmsRequest {
  iccid: string;
  sms: DeviceSms;
}

/** A broker's answers: `absent` when it holds no connection of the device. */
export type PingAnswer = { result: 'answered'; roundTripMs: number } | { result: 'timeout' } | { result: 'absent' };
export type ResetAnswer = 'disconnected' | 'absent';
export type SmsAnswer = Exclude<DownlinkOutcome, 'not-connected'> | 'absent';

export type PingOutcome = { result: 'answered'; roundTripMs: number } | { result: 'timeout' } | { result: 'offline' };

/** What use cases ask of the device plane. Implemented over @nestjs/microservices (device-control.client.ts). */
export abstract class DeviceControl {
  /** Every broker drops the connections of these devices (fire and forget), in one order. */
  abstract disconnectMany(iccids: readonly string[], reason: KickReason): Promise<void>;

  /** Every broker drops the device's connection (fire and forget). */
  disconnect(iccid: string, reason: KickReason): Promise<void> {
    return this.disconnectMany([iccid], reason);
  }
  /** A ping through the broker holding the device; `offline` when none does. */
  abstract ping(iccid: string, correlationId: string, timeoutMs: number): Promise<PingOutcome>;
  abstract reset(iccid: string): Promise<'disconnected' | 'offline'>;
  abstract deliverSms(iccid: string, sms: DeviceSms): Promise<DownlinkOutcome>;
}
