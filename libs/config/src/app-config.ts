import path from 'node:path';
import { type z } from 'zod';
import { configSchema, type RawConfig } from './config.schema.js';

export type DatabaseConfig = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolSize: number };
export type SmsGatewayConfig = { kind: 'network-simulator' } | { kind: 'http-provider'; url: string; token: string; webhookSecret: string };
export type QueueConfig = { kind: 'in-process' } | { kind: 'bullmq'; redisUrl: string; prefix: string };
export type TelemetryConfig =
  | { kind: 'sql' }
  | {
      kind: 'influx';
      url: string;
      database: string;
      username?: string;
      password?: string;
      token?: string;
      retentionDays: number;
    };

/** The typed configuration every module receives. Built once from the environment by `loadConfig`. */
export interface AppConfig {
  env: RawConfig['NODE_ENV'];
  http: {
    host: string;
    port: number;
    /** Base URL the platform is reached at (links in e-mails, the origin cookie-authenticated writes must come from); else the request's own. */
    publicUrl?: string;
    /** Fastify's trustProxy: which proxies' X-Forwarded-* headers give the client address and protocol. */
    trustProxy: boolean | number | string[];
    /** Longest wait for a request's headers, then for the whole request (headers and body): 408 past them. */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  /**
   * The platform key that encrypts secrets at rest (SecretBox), 32 bytes; null when unset outside production
   * (then generated once and kept under DATA_DIR). Previous keys still decrypt during a rotation.
   */
  secrets: { key: Buffer | null; previousKeys: Buffer[] };
  mqtt: {
    port: number;
    wsPort: number;
    tls?: { port: number; certFile: string; keyFile: string };
    maxPayloadBytes: number;
    maxMessagesPerSecond: number;
    redisUrl?: string;
    /** Identifies this broker in the connection log; default host:port (stable across restarts). */
    brokerId?: string;
    connectivityTestTimeoutMs: number;
    /** Every broker's heartbeat; a broker silent for 3 of them is dead, and the others publish its clients' wills. */
    heartbeatMs: number;
  };
  dataDir: string;
  adminApiKey?: string;
  database: DatabaseConfig;
  queue: QueueConfig;
  telemetry: TelemetryConfig;
  logLevel: RawConfig['LOG_LEVEL'];
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise. */
  logFormat: RawConfig['LOG_FORMAT'];
  shutdownTimeoutMs: number;
  ingest: { batchMaxRecords: number; batchMaxWaitMs: number };
  /** BullMQ: how long a job whose worker died (or hung) stays claimed before another worker runs it again. */
  jobs: { stallTimeoutMs: number };
  simIssuer: { iccidPrefix: string; imsiPrefix: string; msisdnPrefix: string };
  /** After a period ends, how long its draft invoice waits for late usage before the monthly job finalizes it. */
  billing: { lateGraceMs: number };
  webhooks: {
    /** Delay before each attempt (the first is usually 0). */
    retryScheduleMs: number[];
    timeoutMs: number;
    disableAfterMs: number;
    secretOverlapMs: number;
    maxRedirects: number;
    pollIntervalMs: number;
    /** Addresses exempt from the SSRF refusal (e.g. an on-premises receiver). */
    allowedCidrs: string[];
  };
  sms: { maxSegments: number; defaultValidityMs: number; retryIntervalMs: number; gateway: SmsGatewayConfig };
  rateLimit: { perMinute: number };
  /** How long a POST sent with an Idempotency-Key replays its first response; then the stored response is purged. */
  idempotency: { ttlMs: number };
  orders: { autoShipAfterMs: number | null; autoDeliverAfterMs: number | null };
  /** Interval of the scheduled alert scan (silent SIMs, connection storms, alert clearing). */
  alerts: { scanEveryMs: number };
  identity: {
    /** `Secure` on the session cookie: always, never, or when the request came over TLS (`auto`). */
    cookieSecure: 'auto' | boolean;
    sessionIdleMs: number;
    sessionMaxAgeMs: number;
    passwordMinLength: number;
    inviteTtlMs: number;
    passwordResetTtlMs: number;
    mfaIssuer: string;
    throttle: { failuresPerUser: number; failuresPerAddress: number; maxDelayMs: number };
    auditRetentionMs: number;
    smtp?: { url: string; from: string };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const variable = String(issue.path[0] ?? '(environment)');
  const got = env[variable];
  const shown =
    variable.includes('KEY') || variable === 'SMTP_URL' || variable.includes('PASSWORD') || variable.includes('TOKEN') || variable.includes('SECRET')
      ? '(hidden)'
      : JSON.stringify(got);
  const expected = issue.message.replace(/^Invalid (input|option): expected /, '').replace(/"/g, '');
  return `${variable} expects ${expected.replace(/\|/g, ', ')}; got ${shown}`;
}

/** A 32-byte key given in hex, base64 or base64url (the schema checked its length). */
const secretKey = (value: string): Buffer => {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  return Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
};

/** Reads the environment once; a wrong value stops startup with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    // One message per variable: the last issue is the most specific (e.g. the URL scheme after "not a URL").
    const byVariable = new Map(parsed.error.issues.map((issue) => [String(issue.path[0]), describeIssue(issue, env)]));
    throw new ConfigError([...byVariable.values()]);
  }
  const raw = parsed.data;
  const problems: string[] = [];
  if ((raw.MQTT_TLS_CERT_FILE === undefined) !== (raw.MQTT_TLS_KEY_FILE === undefined)) {
    problems.push('MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE expects both to be set, or neither');
  }
  if (raw.INFLUX_URL && raw.INFLUX_TOKEN && (raw.INFLUX_USERNAME || raw.INFLUX_PASSWORD)) {
    problems.push('INFLUX_TOKEN expects to be used alone, not with INFLUX_USERNAME/INFLUX_PASSWORD');
  }
  if (raw.SMS_PROVIDER_URL && (!raw.SMS_PROVIDER_TOKEN || !raw.SMS_PROVIDER_WEBHOOK_SECRET)) {
    problems.push('SMS_PROVIDER_TOKEN and SMS_PROVIDER_WEBHOOK_SECRET expects values when SMS_PROVIDER_URL is set');
  }
  if (raw.NODE_ENV === 'production' && !raw.SECRETS_KEY) {
    problems.push('SECRETS_KEY expects a value in production (a 32-byte key: openssl rand -base64 32), the same in every process');
  }
  if (parseDuration(raw.HTTP_HEADERS_TIMEOUT) > parseDuration(raw.HTTP_REQUEST_TIMEOUT)) {
    problems.push('HTTP_HEADERS_TIMEOUT expects a duration no longer than HTTP_REQUEST_TIMEOUT');
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    env: raw.NODE_ENV,
    http: {
      host: raw.HOST,
      port: raw.PORT,
      publicUrl: raw.PUBLIC_URL ? raw.PUBLIC_URL.replace(/\/+$/, '') : undefined,
      trustProxy: parseTrustProxy(raw.TRUST_PROXY),
      headersTimeoutMs: parseDuration(raw.HTTP_HEADERS_TIMEOUT),
      requestTimeoutMs: parseDuration(raw.HTTP_REQUEST_TIMEOUT),
      keepAliveTimeoutMs: parseDuration(raw.HTTP_KEEP_ALIVE_TIMEOUT),
    },
    secrets: {
      key: raw.SECRETS_KEY ? secretKey(raw.SECRETS_KEY) : null,
      previousKeys: raw.SECRETS_KEY_PREVIOUS ? raw.SECRETS_KEY_PREVIOUS.split(',').map(secretKey) : [],
    },
    mqtt: {
      port: raw.MQTT_PORT,
      wsPort: raw.MQTT_WS_PORT,
      tls:
        raw.MQTT_TLS_CERT_FILE && raw.MQTT_TLS_KEY_FILE
          ? { port: raw.MQTT_TLS_PORT, certFile: raw.MQTT_TLS_CERT_FILE, keyFile: raw.MQTT_TLS_KEY_FILE }
          : undefined,
      maxPayloadBytes: raw.MQTT_MAX_PAYLOAD_BYTES,
      maxMessagesPerSecond: raw.MQTT_MAX_MESSAGES_PER_SECOND,
      redisUrl: raw.REDIS_URL,
      brokerId: raw.MQTT_BROKER_ID,
      connectivityTestTimeoutMs: parseDuration(raw.CONNECTIVITY_TEST_TIMEOUT),
      heartbeatMs: parseDuration(raw.MQTT_BROKER_HEARTBEAT),
    },
    dataDir: path.resolve(raw.DATA_DIR),
    adminApiKey: raw.ADMIN_API_KEY,
    database: raw.DATABASE_URL
      ? { kind: 'postgres', url: raw.DATABASE_URL, poolSize: raw.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: path.join(path.resolve(raw.DATA_DIR), 'pglite') },
    queue: raw.REDIS_URL ? { kind: 'bullmq', redisUrl: raw.REDIS_URL, prefix: raw.REDIS_PREFIX } : { kind: 'in-process' },
    telemetry: raw.INFLUX_URL
      ? {
          kind: 'influx',
          url: raw.INFLUX_URL,
          database: raw.INFLUX_DATABASE,
          username: raw.INFLUX_USERNAME,
          password: raw.INFLUX_PASSWORD,
          token: raw.INFLUX_TOKEN,
          retentionDays: raw.INFLUX_RETENTION_DAYS,
        }
      : { kind: 'sql' },
    logLevel: raw.LOG_LEVEL,
    logFormat: raw.LOG_FORMAT,
    shutdownTimeoutMs: parseDuration(raw.SHUTDOWN_TIMEOUT),
    ingest: { batchMaxRecords: raw.INGEST_BATCH_MAX_RECORDS, batchMaxWaitMs: parseDuration(raw.INGEST_BATCH_MAX_WAIT) },
    jobs: { stallTimeoutMs: parseDuration(raw.JOB_STALL_TIMEOUT) },
    simIssuer: { iccidPrefix: raw.SIM_ICCID_PREFIX, imsiPrefix: raw.SIM_IMSI_PREFIX, msisdnPrefix: raw.SIM_MSISDN_PREFIX },
    billing: { lateGraceMs: parseDuration(raw.BILLING_LATE_GRACE) },
    webhooks: {
      retryScheduleMs: raw.WEBHOOK_RETRY_SCHEDULE.split(',').map(parseDuration),
      timeoutMs: parseDuration(raw.WEBHOOK_TIMEOUT),
      disableAfterMs: parseDuration(raw.WEBHOOK_DISABLE_AFTER),
      secretOverlapMs: parseDuration(raw.WEBHOOK_SECRET_OVERLAP),
      maxRedirects: raw.WEBHOOK_MAX_REDIRECTS,
      pollIntervalMs: parseDuration(raw.WEBHOOK_POLL_INTERVAL),
      allowedCidrs: raw.WEBHOOK_ALLOWED_CIDRS ? raw.WEBHOOK_ALLOWED_CIDRS.split(',').map((cidr) => cidr.trim()) : [],
    },
    sms: {
      maxSegments: raw.SMS_MAX_SEGMENTS,
      defaultValidityMs: parseDuration(raw.SMS_DEFAULT_VALIDITY),
      retryIntervalMs: parseDuration(raw.SMS_RETRY_INTERVAL),
      gateway:
        raw.SMS_PROVIDER_URL && raw.SMS_PROVIDER_TOKEN && raw.SMS_PROVIDER_WEBHOOK_SECRET
          ? { kind: 'http-provider', url: raw.SMS_PROVIDER_URL, token: raw.SMS_PROVIDER_TOKEN, webhookSecret: raw.SMS_PROVIDER_WEBHOOK_SECRET }
          : { kind: 'network-simulator' },
    },
    rateLimit: { perMinute: raw.RATE_LIMIT_PER_MINUTE },
    idempotency: { ttlMs: parseDuration(raw.IDEMPOTENCY_KEY_TTL) },
    orders: {
      autoShipAfterMs: raw.ORDER_AUTO_SHIP_AFTER ? parseDuration(raw.ORDER_AUTO_SHIP_AFTER) : null,
      autoDeliverAfterMs: raw.ORDER_AUTO_DELIVER_AFTER ? parseDuration(raw.ORDER_AUTO_DELIVER_AFTER) : null,
    },
    alerts: { scanEveryMs: parseDuration(raw.ALERTS_SCAN_EVERY) },
    identity: {
      cookieSecure: raw.COOKIE_SECURE === 'auto' ? 'auto' : raw.COOKIE_SECURE === 'true',
      sessionIdleMs: parseDuration(raw.SESSION_IDLE_TIMEOUT),
      sessionMaxAgeMs: parseDuration(raw.SESSION_MAX_AGE),
      passwordMinLength: raw.PASSWORD_MIN_LENGTH,
      inviteTtlMs: parseDuration(raw.INVITE_TTL),
      passwordResetTtlMs: parseDuration(raw.PASSWORD_RESET_TTL),
      mfaIssuer: raw.MFA_ISSUER,
      throttle: {
        failuresPerUser: raw.AUTH_FAILURES_PER_USER,
        failuresPerAddress: raw.AUTH_FAILURES_PER_ADDRESS,
        maxDelayMs: parseDuration(raw.AUTH_MAX_DELAY),
      },
      auditRetentionMs: parseDuration(raw.AUDIT_LOG_RETENTION),
      smtp: raw.SMTP_URL ? { url: raw.SMTP_URL, from: raw.SMTP_FROM } : undefined,
    },
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((address) => address.trim());
}

export const CONFIG_VARIABLES = Object.keys(configSchema.shape);
