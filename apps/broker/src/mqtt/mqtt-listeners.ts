import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { AppConfig } from '@simfleet/config';

export type MqttPorts = { tcp?: number; ws?: number; tls?: number };

/** The broker's listeners: MQTT over TCP, over WebSocket, and over TLS when its certificate is configured. */
export class MqttListeners {
  private readonly servers: Array<TcpServer | HttpServer> = [];
  private wss?: WebSocketServer;
  readonly ports: MqttPorts = {};

  constructor(private readonly config: AppConfig) {}

  async start(handle: (stream: Duplex, request?: IncomingMessage) => void): Promise<void> {
    this.ports.tcp = await this.listen(
      createTcpServer((socket) => handle(socket)),
      this.config.mqtt.port,
    );
    const http = createHttpServer((_, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n'));
    this.wss = new WebSocketServer({ server: http });
    this.wss.on('connection', (socket, request) => handle(createWebSocketStream(socket), request));
    this.ports.ws = await this.listen(http, this.config.mqtt.wsPort);
    const tls = this.config.mqtt.tls;
    if (tls) {
      this.ports.tls = await this.listen(
        createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (socket) => handle(socket)),
        tls.port,
      );
    }
  }

  private listen(server: TcpServer | HttpServer, port: number): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.http.host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  /** Stops accepting; resolves once every connection ended (a server's close waits for them). */
  stopAccepting(): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.wss?.close();
    return Promise.all(closed).then(() => undefined);
  }
}
