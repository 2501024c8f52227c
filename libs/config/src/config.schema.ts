import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'a port number from 0 to 65535' })
  .int({ error: 'a port number from 0 to 65535' })
  .min(0, { error: 'a port number from 0 to 65535' })
  .max(65535, { error: 'a port number from 0 to 65535' });
const optionalUrl = (protocols: string[], example: string) =>
  z
    .url({ message: `a URL such as ${example}` })
    .refine((value) => protocols.some((p) => value.startsWith(`${p}:`)), {
      message: `a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}, such as ${example}`,
    })
    .optional();

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, { message: 'a duration such as 500ms, 5s, 5m, 2h or 1d' });

/**
 * The one validated description of the process environment. Every variable is listed in the README;
 * nothing else reads process.env.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  HTTP_HEADERS_TIMEOUT: duration.default('10s'),
  HTTP_REQUEST_TIMEOUT: duration.default('30s'),
  HTTP_KEEP_ALIVE_TIMEOUT: duration.default('72s'),
  SECRETS_KEY_PREVIOUS: z
    .string()
    .refine((value) => value.split(',').every((key) => secretsKeyBytes(key) === 32), {
      message: 'comma-separated keys of the same form as SECRETS_KEY',
    })
    .optional(),
  MQTT_PORT: port.default(1883),
  MQTT_WS_PORT: port.default(8083),
  MQTT_TLS_PORT: port.default(8883),
  MQTT_TLS_CERT_FILE: z.string().min(1).optional(),
  MQTT_TLS_KEY_FILE: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  ADMIN_API_KEY: z.string().min(24, { message: 'at least 24 characters (a long random secret)' }).optional(),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql'], 'postgres://user:pass@localhost:5432/simfleet'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: optionalUrl(['redis', 'rediss'], 'redis://localhost:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/, { message: 'letters, digits, ":", "_" or "-"' })
    .default('simfleet'),
  INFLUX_URL: optionalUrl(['http', 'https'], 'http://localhost:8086'),
  INFLUX_DATABASE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'letters, digits, "_" or "-"' })
    .default('simfleet'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  INFLUX_TOKEN: z.string().optional(),
  INFLUX_RETENTION_DAYS: z.coerce.number().int().min(1).default(400),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  SHUTDOWN_TIMEOUT: duration.default('10s'),
  INGEST_BATCH_MAX_RECORDS: z.coerce.number().int().min(1).max(5000).default(1000),
  INGEST_BATCH_MAX_WAIT: duration.default('50ms'),
  JOB_STALL_TIMEOUT: duration.default('30s'),
  MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(65_536),
  SIM_ICCID_PREFIX: z
    .string()
    .regex(/^89\d{5,10}$/, { message: '89 then 5 to 10 digits (industry id, country code, issuer id)' })
    .default('8988303'),
  SIM_IMSI_PREFIX: z
    .string()
    .regex(/^\d{5,6}$/, { message: 'the 5 or 6 digits of MCC + MNC' })
    .default('90128'),
  SIM_MSISDN_PREFIX: z
    .string()
    .regex(/^\+\d{3,8}$/, { message: '+ and 3 to 8 digits' })
    .default('+88239'),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)(,\d+(ms|s|m|h|d))*$/, { message: 'comma-separated durations such as 0s,5s,5m,30m,2h' })
    .default('0s,5s,5m,30m,2h,5h,10h,10h'),
  WEBHOOK_TIMEOUT: duration.default('15s'),
  WEBHOOK_DISABLE_AFTER: duration.default('5d'),
  WEBHOOK_SECRET_OVERLAP: duration.default('24h'),
  WEBHOOK_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
  WEBHOOK_POLL_INTERVAL: duration.default('1s'),
  WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .refine((value) => value.split(',').every((cidr) => ipaddr.isValidCIDR(cidr.trim())), {
      message: 'comma-separated CIDRs such as 10.0.0.0/8,fd00::/8',
    })
    .optional(),
  MQTT_MAX_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).default(100),
  BILLING_LATE_GRACE: duration.default('3d'),
  SMS_MAX_SEGMENTS: z.coerce.number().int().min(1).max(255).default(6),
  SMS_DEFAULT_VALIDITY: duration.default('24h'),
  SMS_RETRY_INTERVAL: duration.default('30s'),
  SMS_PROVIDER_URL: optionalUrl(['http', 'https'], 'https://sms.example.com/v1/messages'),
  SMS_PROVIDER_TOKEN: z.string().min(1).optional(),
  SMS_PROVIDER_WEBHOOK_SECRET: z.string().min(16, { message: 'at least 16 characters (a long random secret)' }).optional(),
  IDEMPOTENCY_KEY_TTL: duration.default('24h'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  ORDER_AUTO_SHIP_AFTER: duration.optional(),
  ORDER_AUTO_DELIVER_AFTER: duration.optional(),
  MQTT_BROKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9:._-]+$/, { message: 'letters, digits, ":", ".", "_" or "-"' })
    .optional(),
  CONNECTIVITY_TEST_TIMEOUT: duration.default('5s'),
  MQTT_BROKER_HEARTBEAT: duration.default('60s'),
  ALERTS_SCAN_EVERY: duration.default('1m'),
  SECRETS_KEY: z
    .string()
    .refine((value) => secretsKeyBytes(value) === 32, { message: 'a 32-byte key in base64 or hex (openssl rand -base64 32)' })
    .optional(),
  PUBLIC_URL: z
    .url({ message: 'a URL such as https://simfleet.example.com' })
    .refine((value) => /^https?:/.test(value), { message: 'a URL starting with http:// or https://, such as https://simfleet.example.com' })
    .optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9A-Fa-f:./]+(,\s*[0-9A-Fa-f:./]+)*)$/, {
      message: 'true, false, a number of proxy hops, or comma-separated proxy addresses/CIDRs such as 10.0.0.0/8',
    })
    .optional(),
  COOKIE_SECURE: z.enum(['true', 'false', 'auto']).default('auto'),
  SESSION_IDLE_TIMEOUT: duration.default('30m'),
  SESSION_MAX_AGE: duration.default('12h'),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(128).default(12),
  INVITE_TTL: duration.default('7d'),
  PASSWORD_RESET_TTL: duration.default('24h'),
  MFA_ISSUER: z.string().trim().min(1).max(64).default('simfleet'),
  AUTH_FAILURES_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100000).default(20),
  AUTH_MAX_DELAY: duration.default('15m'),
  AUDIT_LOG_RETENTION: duration.default('400d'),
  SMTP_URL: optionalUrl(['smtp', 'smtps'], 'smtps://user:password@mail.example.com:465'),
  SMTP_FROM: z.string().trim().min(3).max(320).default('simfleet <no-reply@localhost>'),
});

/** Byte length of a SECRETS_KEY text (hex, base64 or base64url). */
export function secretsKeyBytes(text: string): number {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return 32;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return 0;
  return Buffer.from(trimmed, /[+/]/.test(trimmed) ? 'base64' : 'base64url').length;
}

export type RawConfig = z.infer<typeof configSchema>;
