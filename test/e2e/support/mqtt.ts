import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { eventually } from './http.js';

/** Connects over MQTT 3.1.1; throws with the CONNACK code on refusal. */
export function connectClient(url: string, username: string, password: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { username, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
}

/** The CONNACK return code the broker answers these credentials with (0 = accepted). */
export async function connackCode(url: string, username: string, password: string): Promise<number> {
  try {
    const client = await connectClient(url, username, password);
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

export interface Received {
  topic: string;
  json: any;
}

/** Subscribes and gathers what arrives (parsed JSON). */
export async function collect(client: MqttClient, topics: string[]): Promise<{ messages: Received[]; granted: number[] }> {
  const messages: Received[] = [];
  client.on('message', (topic, payload) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      json = payload.toString();
    }
    messages.push({ topic, json });
  });
  try {
    const granted = await client.subscribeAsync(topics, { qos: 1 });
    return { messages, granted: granted.map((g) => g.qos) };
  } catch (error) {
    // mqtt.js rejects when any subscription got the failure code 0x80; the SUBACK is on the error.
    const suback = (error as { packet?: { granted?: number[] } }).packet;
    if (!suback?.granted) throw error;
    return { messages, granted: suback.granted };
  }
}

export const waitFor = <T>(find: () => T | undefined, timeoutMs = 10_000) => eventually(async () => find(), timeoutMs);

/** Runs a mosquitto client (mosquitto-clients) and returns its exit code and output. */
export function mosquitto(
  command: 'mosquitto_pub' | 'mosquitto_sub',
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Hand-written MQTT 3.1.1 packets: to drop a connection at an exact point (after PUBLISH, before PUBACK).
const remainingLength = (n: number): Buffer => {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
};
const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

export function connectPacket(clientId: string, username: string, password: string, options: { clean: boolean; keepaliveSeconds: number }): Buffer {
  const flags = 0x80 | 0x40 | (options.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, options.keepaliveSeconds >> 8, options.keepaliveSeconds & 0xff]),
    str(clientId),
    str(username),
    str(password),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export function publishQos1Packet(topic: string, messageId: number, payload: string, dup = false): Buffer {
  const body = Buffer.concat([str(topic), Buffer.from([messageId >> 8, messageId & 0xff]), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x32 | (dup ? 0x08 : 0)]), remainingLength(body.length), body]);
}

/** Opens a raw TCP connection and sends CONNECT; resolves with the socket once CONNACK (accepted) arrived. */
export function rawConnect(port: number, connect: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(connect));
    socket.once('data', (data: Buffer) => {
      if (data[0] === 0x20 && data[3] === 0) resolve(socket);
      else reject(new Error(`CONNACK refused: ${data.toString('hex')}`));
    });
    socket.once('error', reject);
  });
}

const bytes = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);

/** A CONNECT with every field chosen (MQTT 3.1.1, or 3.1 with `protocolVersion: 3`), a will included. */
export function fullConnectPacket(options: {
  clientId: string;
  username?: string;
  password?: string;
  clean: boolean;
  keepaliveSeconds?: number;
  protocolVersion?: 3 | 4;
  will?: { topic: string | Buffer; payload: string; qos: 0 | 1; retain: boolean };
}): Buffer {
  const { will } = options;
  const flags =
    (options.username !== undefined ? 0x80 : 0) |
    (options.password !== undefined ? 0x40 : 0) |
    (will ? 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0) : 0) |
    (options.clean ? 0x02 : 0);
  const keepalive = options.keepaliveSeconds ?? 30;
  const v3 = options.protocolVersion === 3;
  const body = Buffer.concat([
    str(v3 ? 'MQIsdp' : 'MQTT'),
    Buffer.from([v3 ? 3 : 4, flags, keepalive >> 8, keepalive & 0xff]),
    str(options.clientId),
    ...(will ? [bytes(Buffer.isBuffer(will.topic) ? will.topic : Buffer.from(will.topic)), bytes(Buffer.from(will.payload))] : []),
    ...(options.username !== undefined ? [str(options.username)] : []),
    ...(options.password !== undefined ? [str(options.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A QoS 1 PUBLISH whose topic is given as raw bytes (ill-formed UTF-8, U+0000). */
export function rawTopicPublishPacket(topic: Buffer, messageId: number, payload: string): Buffer {
  const body = Buffer.concat([bytes(topic), Buffer.from([messageId >> 8, messageId & 0xff]), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(body.length), body]);
}

/** The fixed header of a packet announcing `length` bytes (its body is then sent, or not, by the caller). */
export function fixedHeader(firstByte: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(length)]);
}

/** Sends raw bytes on a new connection and gathers what comes back until the broker closes it (or `waitMs`). */
export function rawExchange(port: number, packets: Buffer[], waitMs = 3_000): Promise<{ received: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const socket = netConnect(port, '127.0.0.1', () => {
      for (const p of packets) socket.write(p);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closed });
    }, waitMs);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closed });
    });
  });
}

/** The CONNACK return code in what a broker sent back (-1 when there was no CONNACK). */
export const connackReturnCode = (received: Buffer): number => (received[0] === 0x20 ? received[3] : -1);

/** Runs a python3-paho-mqtt script (Debian's python3, MQTT 3.1 clients) and returns its stdout as JSON. */
export function paho(script: string, timeoutMs = 20_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`paho script exited ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? 'null'));
    });
  });
}
