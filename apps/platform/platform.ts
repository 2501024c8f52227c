import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { ApiKeyAuthenticator } from '../../libs/application/src/accounts/accounts.usecases.js';
import { ConfigError, type AppConfig } from '../../libs/config/src/index.js';
import type { Clock } from '../../libs/domain/src/clock/clock.js';
import { createRootLogger, Metrics, NestPinoLogger } from '../../libs/observability/src/index.js';
import { JobQueue } from '../../libs/queue/src/job-queue.js';
import { MqttBroker } from '../broker/src/mqtt-broker.service.js';
import { assertEveryRouteDeclaresAccess } from '../api/src/http/route-audit.js';
import { PlatformModule, ROLES, type Role } from './platform.module.js';

export interface RunningPlatform {
  app: NestFastifyApplication;
  roles: readonly Role[];
  httpUrl: string;
  mqttPorts: { tcp?: number; ws?: number; tls?: number };
  /** The generated platform admin key, when this start created one (printed once). */
  generatedAdminKey: string | null;
  openApi?: OpenAPIObject;
  close(): Promise<void>;
}

/** A process that runs only some roles is part of a scale-out: it needs shared servers. */
export function assertRolesFitConfig(config: AppConfig, roles: readonly Role[]): void {
  if (roles.length === ROLES.length) return;
  const missing = [config.database.kind === 'pglite' && 'DATABASE_URL', config.queue.kind === 'in-process' && 'REDIS_URL'].filter(Boolean);
  if (missing.length) {
    throw new ConfigError([`${missing.join(' and ')} expects a value when running ${roles.join('+')} alone (separate processes share PostgreSQL and Redis; the embedded shape runs all roles in one process: npm start)`]);
  }
}

function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('SIM fleet platform API')
    .setDescription(
      'IoT SIM management and telemetry. Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457 `application/problem+json`. POST requests honour `Idempotency-Key`. Lists use keyset pagination (`limit`, `cursor` → `nextCursor`).',
    )
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An account API key, or the platform admin key for admin routes' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

export interface StartOptions {
  /** The platform's clock; the system clock unless a test harness brings its own (there is no setting for it). */
  clock?: Clock;
}

export async function startPlatform(
  config: AppConfig,
  roles: readonly Role[] = ROLES,
  logger: PinoLogger = createRootLogger(config.logLevel),
  options: StartOptions = {},
): Promise<RunningPlatform> {
  assertRolesFitConfig(config, roles);
  const adapter = new FastifyAdapter({
    loggerInstance: logger.child({ context: 'http' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 16 * 1024 * 1024,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(PlatformModule.forRoot(config, roles, options.clock), adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // NDJSON bodies (POST /v1/usage-events) arrive as text; the route parses them line by line.
  fastify.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));
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

  let openApi: OpenAPIObject | undefined;
  if (roles.includes('api')) {
    openApi = buildOpenApi(app);
    SwaggerModule.setup('docs', app, openApi, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', raw: ['json', 'yaml'] });
  }
  await app.init();
  assertEveryRouteDeclaresAccess(app);
  const generatedAdminKey = roles.includes('api') ? await app.get(ApiKeyAuthenticator).ensureAdminKey() : null;
  await app.listen(config.http.port, config.http.host);
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const mqttPorts = roles.includes('broker') ? app.get(MqttBroker).ports : {};
  return {
    app,
    roles,
    httpUrl: `http://${host}:${port}`,
    mqttPorts,
    generatedAdminKey,
    openApi,
    // Shutdown order matters: stop taking MQTT traffic (flushing what was acknowledged into the queue),
    // then let the queue finish its jobs, then close everything else (HTTP, database).
    close: async () => {
      if (roles.includes('broker')) await app.get(MqttBroker).stop();
      await app.get(JobQueue).close();
      await app.close();
    },
  };
}
