import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  DEVICE_CONTROL,
  type DisconnectOrder,
  type PingAnswer,
  type PingRequest,
  type ResetAnswer,
  type ResetRequest,
  type SmsAnswer,
  type SmsRequest,
} from '@simfleet/application';
import { MqttBroker } from '../mqtt/mqtt-broker.service.js';
import { SmsDeviceDelivery } from './sms-delivery.js';

/**
 * The broker's control-plane handlers (Nest microservices: Redis transport in the servers shape,
 * in-process in the embedded one; libs/application/src/device-control). Requests come only to the broker
 * that holds the device, as the connection log says; each answers `absent` when it no longer does.
 */
@Controller()
export class DeviceControlController {
  constructor(
    @Inject(MqttBroker) private readonly broker: MqttBroker,
    @Inject(SmsDeviceDelivery) private readonly sms: SmsDeviceDelivery,
  ) {}

  /** To every broker: suspension, termination, block, rotated credentials. */
  @EventPattern(DEVICE_CONTROL.disconnect)
  disconnect(@Payload() order: DisconnectOrder): void {
    for (const iccid of order.iccids) this.broker.disconnectDevice(iccid, order.reason);
  }

  @MessagePattern(DEVICE_CONTROL.ping)
  ping(@Payload() request: PingRequest): Promise<PingAnswer> {
    return this.broker.ping(request.iccid, request.correlationId, request.timeoutMs);
  }

  @MessagePattern(DEVICE_CONTROL.reset)
  reset(@Payload() request: ResetRequest): ResetAnswer {
    return this.broker.disconnectDevice(request.iccid, 'kicked_connectivity_reset') ? 'disconnected' : 'absent';
  }

  @MessagePattern(DEVICE_CONTROL.sms)
  deliverSms(@Payload() request: SmsRequest): Promise<SmsAnswer> {
    return this.sms.deliver(request.iccid, request.sms);
  }
}
