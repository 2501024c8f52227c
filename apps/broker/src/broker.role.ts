import type { PlatformRole } from '@simfleet/bootstrap';
import { BrokerModule } from './broker.module.js';
import { MqttBroker } from './mqtt-broker.service.js';

/** The MQTT broker role: its listeners' ports, and a shutdown that flushes acknowledged records first. */
export const brokerRole: PlatformRole = {
  name: 'broker',
  module: BrokerModule,
  afterListen: (app) => ({ mqttPorts: app.get(MqttBroker).ports }),
  stop: (app) => app.get(MqttBroker).stop(),
};
