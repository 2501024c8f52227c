import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { DeviceControlModule } from '../device-control/device-control.module.js';
import { ConnectivityService } from './connectivity.service.js';
import { IntegrationAuthenticator } from './integration-authenticator.js';
import { RecordConnections } from './record-connections.usecase.js';

const providers = [RecordConnections, ConnectivityService, IntegrationAuthenticator];

/**
 * Device connections: the connection log and its events, the control of connected devices (disconnect,
 * connectivity test, reset) wherever the broker holding them runs, and integration credentials.
 */
@Module({ imports: [AccountsModule, DeviceControlModule], providers, exports: [...providers, DeviceControlModule] })
export class DeviceConnectivityModule {}
