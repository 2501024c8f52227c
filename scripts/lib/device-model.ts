// A simulated cellular IoT device: data sessions on real networks (MCC-MNC) of a few countries, with
// interim updates whose cumulative counters grow and then an end; a location that drifts; status with
// IMEI, signal and firmware. It only produces payloads (docs/mqtt.md); the caller publishes them.
import { randomBytes } from 'node:crypto';

export interface SimNetwork {
  mcc: string;
  mnc: string;
  name: string;
  country: string;
  /** Where devices on this network start: [lat, lon]. */
  around: [number, number];
}

/** Real networks of a few countries (names as in the mcc-mnc-list dataset). */
export const NETWORKS: SimNetwork[] = [
  { mcc: '208', mnc: '01', name: 'Orange', country: 'FR', around: [48.8566, 2.3522] },
  { mcc: '208', mnc: '10', name: 'SFR', country: 'FR', around: [45.764, 4.8357] },
  { mcc: '262', mnc: '01', name: 'Telekom', country: 'DE', around: [52.52, 13.405] },
  { mcc: '262', mnc: '02', name: 'Vodafone', country: 'DE', around: [48.1351, 11.582] },
  { mcc: '234', mnc: '15', name: 'Vodafone UK', country: 'GB', around: [51.5074, -0.1278] },
  { mcc: '214', mnc: '07', name: 'Movistar', country: 'ES', around: [40.4168, -3.7038] },
  { mcc: '222', mnc: '01', name: 'TIM', country: 'IT', around: [41.9028, 12.4964] },
  { mcc: '310', mnc: '260', name: 'T-Mobile', country: 'US', around: [40.7128, -74.006] },
];

const RATS = ['LTE-M', 'NB-IoT', '4G'] as const;

/** Deterministic pseudo-random numbers (mulberry32), so a run can be replayed with the same seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 15-digit IMEI with a valid Luhn check digit. */
export function imeiFrom(rnd: () => number): string {
  const body = `35${Array.from({ length: 12 }, () => Math.floor(rnd() * 10)).join('')}`;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = Number(body[i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

export interface SessionPayload {
  sessionId: string;
  startedAt: string;
  endedAt: string | null;
  bytesUp: number;
  bytesDown: number;
  mcc: string;
  mnc: string;
  rat: string;
  cellId: number;
  imei: string;
}

export type DeviceMessage =
  | { channel: 'sessions'; payload: SessionPayload }
  | { channel: 'location'; payload: { lat: number; lon: number; accuracyM: number; source: 'gps' | 'cell'; at: string } }
  | { channel: 'status'; payload: { imei: string; signalDbm: number; firmware: string; at: string } };

/**
 * One device. Each `tick()` returns the next message: mostly interim session updates, a location every
 * few ticks, a status now and then; a session ends after a handful of updates and the next one may be
 * on another network (the device moved).
 */
export class SimulatedDevice {
  private readonly rnd: () => number;
  readonly imei: string;
  private network: SimNetwork;
  private rat: string;
  private position: [number, number];
  private session: SessionPayload | null = null;
  private updatesLeft = 0;
  private ticks = 0;
  readonly sent = { sessionsStarted: 0, sessionUpdates: 0, sessionsEnded: 0, locations: 0, statuses: 0, bytes: 0 };

  constructor(
    readonly iccid: string,
    seed: number,
  ) {
    this.rnd = random(seed);
    this.imei = imeiFrom(this.rnd);
    this.network = NETWORKS[Math.floor(this.rnd() * NETWORKS.length)];
    this.rat = RATS[Math.floor(this.rnd() * RATS.length)];
    this.position = [this.network.around[0] + (this.rnd() - 0.5) * 0.2, this.network.around[1] + (this.rnd() - 0.5) * 0.2];
  }

  get currentNetwork(): SimNetwork {
    return this.network;
  }

  tick(now = new Date()): DeviceMessage {
    this.ticks++;
    if (this.ticks === 1 || this.ticks % 25 === 0) return this.status(now);
    if (this.ticks % 5 === 0) return this.location(now);
    return { channel: 'sessions', payload: this.sessionStep(now) };
  }

  /** The open session's final record, if one is open (sent when the simulation stops). */
  end(now = new Date()): SessionPayload | null {
    if (!this.session) return null;
    const ended = { ...this.session, endedAt: now.toISOString() };
    this.session = null;
    this.sent.sessionsEnded++;
    return ended;
  }

  private sessionStep(now: Date): SessionPayload {
    if (!this.session) {
      // A new attach: sometimes on another network of the list (the device travelled or roams).
      if (this.rnd() < 0.2) {
        this.network = NETWORKS[Math.floor(this.rnd() * NETWORKS.length)];
        this.position = [this.network.around[0], this.network.around[1]];
      }
      this.session = {
        sessionId: `sim-${randomBytes(6).toString('hex')}`,
        startedAt: now.toISOString(),
        endedAt: null,
        bytesUp: 0,
        bytesDown: 0,
        mcc: this.network.mcc,
        mnc: this.network.mnc,
        rat: this.rat,
        cellId: 10_000 + Math.floor(this.rnd() * 50_000),
        imei: this.imei,
      };
      this.updatesLeft = 3 + Math.floor(this.rnd() * 8);
      this.sent.sessionsStarted++;
    }
    // Telemetry devices send little and receive less: a few hundred bytes to a few kB per interval.
    const up = 200 + Math.floor(this.rnd() * 4_000);
    const down = 100 + Math.floor(this.rnd() * 1_500);
    this.session.bytesUp += up;
    this.session.bytesDown += down;
    this.sent.bytes += up + down;
    this.updatesLeft--;
    if (this.updatesLeft <= 0) return this.end(now)!;
    this.sent.sessionUpdates++;
    return { ...this.session };
  }

  private location(now: Date): DeviceMessage {
    // A slow random walk (a vehicle or an asset being moved), about a hundred metres per fix.
    this.position = [
      Math.max(-89, Math.min(89, this.position[0] + (this.rnd() - 0.5) * 0.002)),
      ((this.position[1] + (this.rnd() - 0.5) * 0.002 + 540) % 360) - 180,
    ];
    const gps = this.rnd() < 0.8;
    this.sent.locations++;
    return {
      channel: 'location',
      payload: {
        lat: Number(this.position[0].toFixed(6)),
        lon: Number(this.position[1].toFixed(6)),
        accuracyM: gps ? 5 + Math.floor(this.rnd() * 20) : 300 + Math.floor(this.rnd() * 1_200),
        source: gps ? 'gps' : 'cell',
        at: now.toISOString(),
      },
    };
  }

  private status(now: Date): DeviceMessage {
    this.sent.statuses++;
    return {
      channel: 'status',
      payload: { imei: this.imei, signalDbm: -60 - Math.floor(this.rnd() * 55), firmware: '2.4.1', at: now.toISOString() },
    };
  }
}
