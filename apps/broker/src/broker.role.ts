import { ControlPlaneTransport } from '@simfleet/application';
import type { PlatformRole } from '@simfleet/bootstrap';
import { BrokerModule } from './broker.module.js';
import { MqttBroker } from './mqtt/mqtt-broker.service.js';

/** The MQTT broker role: its listeners' ports, its control-plane handlers, and a shutdown that flushes acknowledged records first. */
export const brokerRole: PlatformRole = {
  name: 'broker',
  module: BrokerModule,
  async afterInit(app) {
    // The broker's id is known once it listens (onApplicationBootstrap): requests for its devices are addressed to it.
    app.connectMicroservice({ strategy: app.get(ControlPlaneTransport).server(app.get(MqttBroker).brokerId) });
    await app.startAllMicroservices();
  },
  afterListen: (app) => ({ mqttPorts: app.get(MqttBroker).ports }),
  stop: (app) => app.get(MqttBroker).stop(),
};
