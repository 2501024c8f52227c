import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { ConfigError, type AppConfig } from '@simfleet/config';
import type { Clock } from '@simfleet/domain';
import { createRootLogger, Metrics, NestPinoLogger } from '@simfleet/observability';
import { JobQueue } from '@simfleet/queue';
import {
  DEFAULT_BODY_LIMIT,
  assertEveryRouteDeclaresAccess,
  configureBodyParsers,
  problemOnClientError,
  problemOnFrameworkError,
} from '@simfleet/http';
import { PlatformModule } from './platform.module.js';
import type { PlatformRole, RoleFacts, RoleName } from './platform-role.js';

export interface RunningPlatform extends RoleFacts {
  app: NestFastifyApplication;
  roles: readonly RoleName[];
  httpUrl: string;
  close(): Promise<void>;
}

const ALL_ROLES: readonly RoleName[] = ['api', 'broker', 'worker'];

/** A process that runs only some roles is part of a scale-out: it needs shared servers. */
export function assertRolesFitConfig(config: AppConfig, roles: readonly RoleName[]): void {
  if (ALL_ROLES.every((name) => roles.includes(name))) return;
  const missing = [config.database.kind === 'pglite' && 'DATABASE_URL', config.queue.kind === 'in-process' && 'REDIS_URL'].filter(Boolean);
  if (missing.length) {
    throw new ConfigError([
      `${missing.join(' and ')} expects a value when running ${roles.join('+')} alone ` +
        '(separate processes share PostgreSQL and Redis; the embedded shape runs all roles in one process: npm start)',
    ]);
  }
}

/** A line per request is for debugging (LOG_LEVEL=debug), not for a person watching the platform start. */
class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
/** TRUST_PROXY as a number of hops: the nearest `hops` proxies are trusted (proxy-addr's function form). */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

export interface StartOptions {
  /** The platform's clock; the system clock unless a test harness brings its own (there is no setting for it). */
  clock?: Clock;
}

export async function startPlatform(
  config: AppConfig,
  roles: readonly PlatformRole[],
  logger: PinoLogger = createRootLogger(config.logLevel),
  options: StartOptions = {},
): Promise<RunningPlatform> {
  const names = roles.map((role) => role.name);
  assertRolesFitConfig(config, names);
  const adapter = new FastifyAdapter({
    // Fastify's own lines ("Server listening at …" per interface, one per request) are for debugging: the
    // ready banner says where the platform listens. Errors still come through.
    loggerInstance: logger.child({ context: 'http' }, { level: logger.isLevelEnabled('debug') ? logger.level : 'warn' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Each documented operation gets its own limit (RequestContract); this one covers the rest.
    bodyLimit: DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    logController: new QuietRequestLog(),
    // TRUST_PROXY: behind a load balancer, the client's address and protocol come from X-Forwarded-* (throttling, audit, Secure cookies).
    trustProxy: typeof config.http.trustProxy === 'number' ? trustHops(config.http.trustProxy) : config.http.trustProxy,
    clientErrorHandler: problemOnClientError,
    frameworkErrors: problemOnFrameworkError,
    // A request must arrive whole within the timeouts, however slowly its bytes trickle in (408 past them);
    // Node checks every second instead of every 30 s. Responses (streams included) are not limited.
    serverFactory: (handler: RequestListener) =>
      createServer(
        {
          headersTimeout: config.http.headersTimeoutMs,
          requestTimeout: config.http.requestTimeoutMs,
          keepAliveTimeout: config.http.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(1_000, config.http.headersTimeoutMs),
        },
        handler,
      ),
  });
  const app = await NestFactory.create<NestFastifyApplication>(PlatformModule.forRoot(config, roles, options.clock), adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    // The body parsers are ours (configureBodyParsers): JSON and NDJSON only, each route with its own limit.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  configureBodyParsers(fastify);
  const metrics = app.get(Metrics);
  const queue = app.get(JobQueue);
  metrics.onCollect(async () => {
    for (const [name, depth] of Object.entries(await queue.depth())) metrics.queueDepth.set({ queue: name }, depth);
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const facts: RoleFacts = { mqttPorts: {}, generatedAdminKey: null };
  for (const role of roles) Object.assign(facts, role.beforeInit?.(app));
  await app.init();
  assertEveryRouteDeclaresAccess(app);
  for (const role of roles) Object.assign(facts, await role.afterInit?.(app));
  await app.listen(config.http.port, config.http.host);
  for (const role of roles) Object.assign(facts, role.afterListen?.(app));
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  return {
    ...facts,
    app,
    roles: names,
    httpUrl: `http://${host}:${port}`,
    // Shutdown order matters: stop taking MQTT traffic (flushing what was acknowledged into the queue),
    // then let the queue finish its jobs, then close everything else (HTTP, database).
    close: async () => {
      for (const role of roles) await role.stop?.(app);
      await app.get(JobQueue).close();
      await app.close();
    },
  };
}
