import { Global, Module } from '@nestjs/common';
import { SimConnectionRepository } from '@simfleet/persistence';
import { DeviceControlModule } from '../device-control/device-control.module.js';
import { ConnectivityService } from './connectivity.service.js';
import { IntegrationAuthenticator } from './integration-authenticator.js';
import { RecordConnections } from './record-connections.usecase.js';

/**
 * Device connections (issue 4, broker half): the connection log and its events, connection state for
 * diagnostics, integration credentials, and the connectivity test / reset.
 */
@Global()
@Module({
  imports: [DeviceControlModule],
  providers: [SimConnectionRepository, RecordConnections, ConnectivityService, IntegrationAuthenticator],
  exports: [SimConnectionRepository, RecordConnections, ConnectivityService, IntegrationAuthenticator],
})
export class DeviceConnectivityModule {}
