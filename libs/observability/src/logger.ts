import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** Header and field names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'password',
  'secret',
  'key',
  '*.password',
  '*.secret',
  '*.key',
  'token',
  '*.token',
  'csrfToken',
  '*.csrfToken',
];

export type LogFormat = 'json' | 'pretty';

/** `auto` → readable lines for a person at a terminal, JSON for a log pipeline. */
export function resolveLogFormat(format: 'auto' | LogFormat, stdoutIsTty: boolean): LogFormat {
  return format === 'auto' ? (stdoutIsTty ? 'pretty' : 'json') : format;
}

/** Splits what Nest hands a logger (a string, an Error, or an object of fields) into pino's fields and message. */
function fieldsAndMessage(message: unknown): [Record<string, unknown>, string] {
  if (message instanceof Error) return [{ err: message }, message.message];
  if (message && typeof message === 'object') {
    const fields = message as Record<string, unknown>;
    const err = fields.err;
    const text =
      typeof fields.msg === 'string'
        ? fields.msg
        : err instanceof Error
          ? err.message
          : err !== undefined
            ? typeof err === 'string'
              ? err
              : JSON.stringify(err)
            : JSON.stringify(fields);
    const { msg: _msg, ...rest } = fields;
    return [rest, text];
  }
  return [{}, String(message)];
}

/** The process's logger: JSON lines (to stdout, or to `destination`), or readable lines for a terminal. */
export function createRootLogger(level: string, format: LogFormat = 'json', destination?: NodeJS.WritableStream): PinoLogger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'simfleet' } };
  // Synchronous writes to stdout: lines keep their order with what the process writes itself (the ready
  // banner comes last) and none is lost when the process exits right after one.
  if (format === 'json') return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
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
    const [fields, text] = fieldsAndMessage(message);
    if (typeof trace === 'string' && context) fields.trace = trace;
    this.child(context ?? trace).error(fields, text);
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
