import { Module } from '@nestjs/common';
import { DeviceConnectivityModule, SmsModule, TelemetryIngestModule, TelemetryQueriesModule } from '@simfleet/application';
import { MqttBroker } from './mqtt-broker.service.js';
import { SmsDeviceDelivery } from './sms-delivery.js';

@Module({
  imports: [TelemetryIngestModule, DeviceConnectivityModule, TelemetryQueriesModule, SmsModule],
  providers: [MqttBroker, SmsDeviceDelivery],
  exports: [MqttBroker],
})
export class BrokerModule {}
