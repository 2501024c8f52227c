import { Module } from '@nestjs/common';
import { MqttBroker } from './mqtt-broker.service.js';

@Module({ providers: [MqttBroker], exports: [MqttBroker] })
export class BrokerModule {}
