import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';
import { DeviceControl } from '../device-control/device-control.js';

export type ConnectivityTestResult =
  | { iccid: string; result: 'answered'; correlationId: string; roundTripMs: number }
  | { iccid: string; result: 'timeout'; correlationId: string; timeoutMs: number }
  | { iccid: string; result: 'offline' };

export type ConnectivityResetResult = { iccid: string; result: 'disconnected' | 'offline' };

/**
 * Operator tools on a device's connection, through whichever broker holds it: a ping on its commands
 * topic answered on its status topic (round-trip time), and a reset (the device reconnects).
 */
@Injectable()
export class ConnectivityService {
  constructor(
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(DeviceControl) private readonly devices: DeviceControl,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async iccidOf(accountId: string, ref: string): Promise<string> {
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    return sim.iccid;
  }

  async test(accountId: string, ref: string, timeoutMs = this.config.mqtt.connectivityTestTimeoutMs): Promise<ConnectivityTestResult> {
    const iccid = await this.iccidOf(accountId, ref);
    const correlationId = randomUUID();
    // The broker holding the device sends the ping and waits for the answer: the device answers on that connection.
    const outcome = await this.devices.ping(iccid, correlationId, timeoutMs);
    if (outcome.result === 'offline') return { iccid, result: 'offline' };
    if (outcome.result === 'timeout') return { iccid, result: 'timeout', correlationId, timeoutMs };
    return { iccid, result: 'answered', correlationId, roundTripMs: outcome.roundTripMs };
  }

  async reset(accountId: string, ref: string): Promise<ConnectivityResetResult> {
    const iccid = await this.iccidOf(accountId, ref);
    return { iccid, result: await this.devices.reset(iccid) };
  }
}
