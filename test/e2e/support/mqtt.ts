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
