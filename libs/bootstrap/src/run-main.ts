import { ConfigError, loadConfig } from '@simfleet/config';
import { createRootLogger, resolveLogFormat } from '@simfleet/observability';
import { startPlatform, type RunningPlatform } from './start-platform.js';
import type { PlatformRole } from './platform-role.js';

/**
 * The entry point of every process: reads the environment once, starts the roles, prints where they
 * listen, and shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight jobs, exit 0).
 */
export async function runMain(roles: readonly PlatformRole[]): Promise<void> {
  const names = roles.map((role) => role.name);
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createRootLogger(config.logLevel, resolveLogFormat(config.logFormat, process.stdout.isTTY === true));
  let platform: RunningPlatform;
  try {
    platform = await startPlatform(config, roles, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    logger.fatal({ err: error }, 'startup failed');
    process.exit(1);
  }
  const shape = [
    `database ${config.database.kind === 'pglite' ? `PGlite (${config.database.dataDir})` : 'PostgreSQL'}`,
    `queue ${config.queue.kind}`,
    `telemetry ${config.telemetry.kind === 'sql' ? 'SQL tables' : 'InfluxDB'}`,
  ].join(', ');
  const lines = [
    `simfleet ${names.join('+')} ready — ${shape}`,
    `  HTTP    ${platform.httpUrl}   (health /health, readiness /ready, metrics /metrics${names.includes('api') ? `, docs /docs, OpenAPI /openapi.json` : ''})`,
  ];
  if (platform.mqttPorts.tcp !== undefined)
    lines.push(
      `  MQTT    mqtt://localhost:${platform.mqttPorts.tcp}   ws://localhost:${platform.mqttPorts.ws}${platform.mqttPorts.tls ? `   mqtts://localhost:${platform.mqttPorts.tls}` : ''}`,
    );
  if (platform.generatedAdminKey) {
    lines.push(
      '',
      '  Platform admin API key (generated now, stored hashed, shown only this once — keep it):',
      `    ${platform.generatedAdminKey}`,
      '  Set ADMIN_API_KEY to use your own instead.',
    );
  }
  // Log lines are written asynchronously: let those of the start-up land first, so that the banner (and the
  // one-time admin key) is the last thing on screen.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    const force = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
