import { Inject, Injectable } from '@nestjs/common';
import type { PublishPacket } from 'aedes';
import type { DeviceSms, SmsAnswer } from '@simfleet/application';
import { Topics } from '@simfleet/domain';
import { MqttBroker } from '../mqtt/mqtt-broker.service.js';

/** How long the broker waits for the device's PUBACK before reporting `not-acknowledged`. */
export const SMS_ACK_TIMEOUT_MS = 5_000;

/**
 * The broker's side of SMS delivery (docs/sms.md): when this broker holds the SIM's device connection,
 * it writes the SMS to `things/{iccid}/sms` on that connection only, and reports `delivered` once the
 * device acknowledged it. One SMS per device is in flight at a time, so a PUBACK cannot be credited to
 * the wrong message.
 */
@Injectable()
export class SmsDeviceDelivery {
  private readonly inFlight = new Map<string, Promise<SmsAnswer>>();

  constructor(@Inject(MqttBroker) private readonly broker: MqttBroker) {}

  deliver(iccid: string, sms: DeviceSms): Promise<SmsAnswer> {
    const previous = this.inFlight.get(iccid) ?? Promise.resolve<SmsAnswer>('absent');
    const run = previous.then(
      () => this.deliverNow(iccid, sms),
      () => this.deliverNow(iccid, sms),
    );
    this.inFlight.set(iccid, run);
    const cleanup = () => {
      if (this.inFlight.get(iccid) === run) this.inFlight.delete(iccid);
    };
    run.then(cleanup, cleanup);
    return run;
  }

  private async deliverNow(iccid: string, sms: DeviceSms): Promise<SmsAnswer> {
    const client = this.broker.deviceConnection(iccid);
    if (!client) return 'absent';
    const topic = Topics.down(iccid, 'sms');
    const granted = this.broker.subscriptionQos(client, topic);
    if (granted === undefined) return 'not-subscribed';
    const qos = granted >= 1 ? 1 : 0;
    const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(sms)), qos, retain: false, dup: false };
    if (qos === 0) {
      // QoS 0 has no acknowledgement: written to the device's open connection is the best evidence there is.
      const written = await new Promise<boolean>((resolve) => client.publish(packet, (error) => resolve(!error)));
      return written && !client.closed ? 'delivered' : 'not-acknowledged';
    }
    let stop = () => {};
    const acknowledged = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), SMS_ACK_TIMEOUT_MS);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        resolve(ok);
      };
      stop = this.broker.onClientAck((acker) => {
        if (acker === client) settle(true);
      });
      client.publish(packet, (error) => {
        if (error) settle(false);
      });
    });
    try {
      return (await acknowledged) ? 'delivered' : 'not-acknowledged';
    } finally {
      stop();
    }
  }
}
