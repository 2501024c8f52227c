import { Module } from '@nestjs/common';
import { DeviceConnectivityModule, DeviceControlModule, TelemetryIngestModule, TelemetryQueriesModule } from '@simfleet/application';
import { RedisConnectionsModule } from '@simfleet/queue';
import { DeviceControlController } from './control-plane/device-control.controller.js';
import { SmsDeviceDelivery } from './control-plane/sms-delivery.js';
import { MqttBroker } from './mqtt/mqtt-broker.service.js';

/**
 * The MQTT broker role. Where things are: the device policy in policy/, what aedes is built on in
 * mqtt/aedes-adapter.ts, ingestion batching in ingestion/, the control-plane handlers in control-plane/.
 */
@Module({
  imports: [RedisConnectionsModule, DeviceControlModule, TelemetryIngestModule, DeviceConnectivityModule, TelemetryQueriesModule],
  controllers: [DeviceControlController],
  providers: [MqttBroker, SmsDeviceDelivery],
  exports: [MqttBroker],
})
export class BrokerModule {}
