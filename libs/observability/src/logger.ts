import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as PinoLogger } from 'pino';

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

export function createRootLogger(level: string): PinoLogger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'simfleet' } });
}

/** Nest's logger port onto pino, so that framework and application lines share one JSON format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  private child(context?: unknown) {
    return typeof context === 'string' ? this.root.child({ context }) : this.root;
  }

  log(message: unknown, context?: unknown) {
    this.child(context).info(message as string);
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
