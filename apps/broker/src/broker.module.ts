import { Module } from '@nestjs/common';
import { MqttBroker } from './mqtt-broker.service.js';
import { SmsDeviceDelivery } from './sms-delivery.js';

@Module({ providers: [MqttBroker, SmsDeviceDelivery], exports: [MqttBroker] })
export class BrokerModule {}
