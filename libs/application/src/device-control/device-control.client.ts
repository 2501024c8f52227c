import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { firstValueFrom, lastValueFrom, timeout, TimeoutError } from 'rxjs';
import type { KickReason } from '@simfleet/domain';
import { SimConnectionRepository } from '@simfleet/persistence';
import { ControlPlaneTransport, routeTo, type ControlPlaneClient } from './control-plane.transport.js';
import {
  DEVICE_CONTROL,
  DeviceControl,
  type DeviceSms,
  type DisconnectOrder,
  type DownlinkOutcome,
  type PingAnswer,
  type PingOutcome,
  type PingRequest,
  type ResetAnswer,
  type ResetRequest,
  type SmsAnswer,
  type SmsRequest,
} from './device-control.js';

/** Beyond the work a broker does (a ping's wait, a PUBACK's wait), how long its answer may take to come back. */
const REPLY_MARGIN_MS = 1_000;
/** How long a broker waits for the device's PUBACK of an SMS (apps/broker sms-delivery.ts) is under this. */
const SMS_REPLY_TIMEOUT_MS = 10_000;

/**
 * The device plane's control, over Nest microservices: a request goes to the broker that holds the
 * device's connection, as the connection log (`sim_connections.broker_id`) knows it, not to every broker;
 * no broker recorded, or no answer in time, means offline. A disconnect order is an event for every
 * broker instead: it must also reach a connection made an instant ago, which the log may not show yet.
 */
@Injectable()
export class RoutedDeviceControl extends DeviceControl implements BeforeApplicationShutdown {
  private readonly client: ControlPlaneClient;

  constructor(
    @Inject(ControlPlaneTransport) transport: ControlPlaneTransport,
    @Inject(SimConnectionRepository) private readonly connections: SimConnectionRepository,
  ) {
    super();
    this.client = transport.client();
  }

  async disconnectMany(iccids: readonly string[], reason: KickReason): Promise<void> {
    if (!iccids.length) return;
    await lastValueFrom(this.client.emit(DEVICE_CONTROL.disconnect, { iccids: [...iccids], reason } satisfies DisconnectOrder), {
      defaultValue: undefined,
    });
  }

  async ping(iccid: string, correlationId: string, timeoutMs: number): Promise<PingOutcome> {
    const answer = await this.ask<PingAnswer>(
      iccid,
      DEVICE_CONTROL.ping,
      { iccid, correlationId, timeoutMs } satisfies PingRequest,
      timeoutMs + REPLY_MARGIN_MS,
    );
    return !answer || answer.result === 'absent' ? { result: 'offline' } : answer;
  }

  async reset(iccid: string): Promise<'disconnected' | 'offline'> {
    const answer = await this.ask<ResetAnswer>(iccid, DEVICE_CONTROL.reset, { iccid } satisfies ResetRequest, REPLY_MARGIN_MS);
    return answer === 'disconnected' ? 'disconnected' : 'offline';
  }

  async deliverSms(iccid: string, sms: DeviceSms): Promise<DownlinkOutcome> {
    const answer = await this.ask<SmsAnswer>(iccid, DEVICE_CONTROL.sms, { iccid, sms } satisfies SmsRequest, SMS_REPLY_TIMEOUT_MS);
    return !answer || answer === 'absent' ? 'not-connected' : answer;
  }

  /** The answer of the broker holding the device; null when none is recorded or it did not answer in time. */
  private async ask<T>(iccid: string, message: string, data: object, timeoutMs: number): Promise<T | null> {
    const state = await this.connections.connectionState(iccid);
    if (!state.online || !state.brokerId) return null;
    try {
      return await firstValueFrom(this.client.send<T>(routeTo(state.brokerId, message), data).pipe(timeout(timeoutMs)));
    } catch (error) {
      // A broker that died without closing its connections in the log answers nothing.
      if (error instanceof TimeoutError) return null;
      throw error;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
