import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** Header and field names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'password',
  'secret',
  'key',
  '*.password',
  '*.secret',
  '*.key',
];

export type LogFormat = 'json' | 'pretty';

/** `auto` → readable lines for a person at a terminal, JSON for a log pipeline. */
export function resolveLogFormat(format: 'auto' | LogFormat, stdoutIsTty: boolean): LogFormat {
  return format === 'auto' ? (stdoutIsTty ? 'pretty' : 'json') : format;
}

export function createRootLogger(level: string, format: LogFormat = 'json'): PinoLogger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'simfleet' } };
  if (format === 'json') return pino(options);
  // Synchronous, so that nothing is lost when the process exits right after a line (startup failures).
  const stream = pretty({
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}{context}: {end}{msg}',
  });
  return pino(options, stream);
}

/**
 * Nest's own start-up narration (each module initialised, each of the ~120 routes mapped, "application
 * started"): useful when debugging the framework, noise for a person starting the platform.
 */
const FRAMEWORK_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'NestMicroservice']);

/** Nest's logger port onto pino, so that framework and application lines share one JSON format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  private child(context?: unknown) {
    return typeof context === 'string' ? this.root.child({ context }) : this.root;
  }

  log(message: unknown, context?: unknown) {
    if (typeof context === 'string' && FRAMEWORK_CHATTER.has(context)) this.child(context).debug(message as string);
    else this.child(context).info(message as string);
  }
  error(message: unknown, trace?: unknown, context?: unknown) {
    this.child(context ?? trace).error(typeof trace === 'string' && context ? { trace } : {}, String(message));
  }
  warn(message: unknown, context?: unknown) {
    this.child(context).warn(message as string);
  }
  debug(message: unknown, context?: unknown) {
    this.child(context).debug(message as string);
  }
  verbose(message: unknown, context?: unknown) {
    this.child(context).trace(message as string);
  }
  fatal(message: unknown, context?: unknown) {
    this.child(context).fatal(message as string);
  }
}
