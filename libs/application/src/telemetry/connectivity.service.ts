import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';
import { DeviceSessions } from './device-sessions.js';

export type ConnectivityTestResult =
  | { iccid: string; result: 'answered'; correlationId: string; roundTripMs: number }
  | { iccid: string; result: 'timeout'; correlationId: string; timeoutMs: number }
  | { iccid: string; result: 'offline' };

export type ConnectivityResetResult = { iccid: string; result: 'disconnected' | 'offline' };

/** How long the brokers have to say one of them holds the device's connection (pub/sub round trip). */
const BROKER_ACK_TIMEOUT_MS = 1_000;

/**
 * Operator tools on a device's connection, through whichever broker holds it: a ping on its commands
 * topic answered on its status topic (round-trip time), and a reset (the device reconnects).
 */
@Injectable()
export class ConnectivityService {
  constructor(
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(DeviceSessions) private readonly sessions: DeviceSessions,
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
    // Listen first: a fast device may answer before the broker's acknowledgement comes back.
    const expected = await this.sessions.expectAnswer(correlationId, timeoutMs + BROKER_ACK_TIMEOUT_MS);
    const sentAt = performance.now();
    const delivered = await this.sessions.request(iccid, { kind: 'ping', correlationId }, BROKER_ACK_TIMEOUT_MS);
    if (!delivered) {
      expected.cancel();
      return { iccid, result: 'offline' };
    }
    const timer = setTimeout(() => expected.cancel(), Math.max(0, timeoutMs - (performance.now() - sentAt)));
    const answered = await expected.answer;
    clearTimeout(timer);
    if (!answered) return { iccid, result: 'timeout', correlationId, timeoutMs };
    return { iccid, result: 'answered', correlationId, roundTripMs: Math.round(performance.now() - sentAt) };
  }

  async reset(accountId: string, ref: string): Promise<ConnectivityResetResult> {
    const iccid = await this.iccidOf(accountId, ref);
    const done = await this.sessions.request(iccid, { kind: 'reset' }, BROKER_ACK_TIMEOUT_MS);
    return { iccid, result: done ? 'disconnected' : 'offline' };
  }
}
