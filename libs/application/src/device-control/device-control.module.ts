import { Module } from '@nestjs/common';
import { RedisConnections, RedisConnectionsModule } from '@simfleet/queue';
import { ControlPlaneTransport, InProcessControlPlane, RedisControlPlane } from './control-plane.transport.js';
import { RoutedDeviceControl } from './device-control.client.js';
import { DeviceControl } from './device-control.js';

/**
 * The control plane of the device plane (disconnect orders, connectivity test and reset, SMS downlink):
 * the port use cases call (DeviceControl) and the transport brokers serve their handlers on.
 */
@Module({
  imports: [RedisConnectionsModule],
  providers: [
    {
      provide: ControlPlaneTransport,
      inject: [RedisConnections],
      useFactory: (connections: RedisConnections): ControlPlaneTransport =>
        connections.choose<ControlPlaneTransport>({ redis: (redis) => new RedisControlPlane(redis), local: () => new InProcessControlPlane() }),
    },
    RoutedDeviceControl,
    { provide: DeviceControl, useExisting: RoutedDeviceControl },
  ],
  exports: [DeviceControl, ControlPlaneTransport],
})
export class DeviceControlModule {}
