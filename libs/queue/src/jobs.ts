import type { IngestBatch, ConnectionChange } from '@simfleet/domain';

/**
 * Every job of the platform, its payload and its retry policy: the one place job names live.
 * Startup fails if a worker lacks a handler for one of them, or registers two.
 */
export interface JobPayloads {
  'telemetry.ingest': IngestBatch;
  'orders.fulfil': { orderId: string };
  /** The time-driven alert rules (silent, connection storm) and alert clearing; a repeatable job (JobQueue.schedule). */
  'alerts.scan': Record<string, never>;
  /** Drafts the invoices of `period` (default: last month) missing for any account, and finalizes drafts past their grace. */
  'invoices.monthly': { period?: string };
  /** Fulfils every pending order, oldest first (queued when stock is added). */
  'orders.fulfil-pending': Record<string, never>;
  'orders.ship': { orderId: string };
  'orders.deliver': { orderId: string };
  /** One delivery attempt of an SMS by the network simulator; the next attempt is a new delayed job. */
  'sms.deliver': { messageId: string; attempt: number };
  'sims.bulk': { jobId: string };
  'device.connections': { changes: ConnectionChange[] };
  /** One attempt of a webhook delivery; `attempt` is the delivery's attempt count when it was leased (a stale job is a no-op). */
  'webhooks.deliver': { deliveryId: string; attempt: number };
  /** Hourly: audit entries past AUDIT_LOG_RETENTION leave the log; ended sessions and used or expired tokens are forgotten. */
  'identity.purge': Record<string, never>;
  /** Deletes stored Idempotency-Key responses past their window (IDEMPOTENCY_KEY_TTL); a repeatable job. */
  'idempotency.purge': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export interface RetryPolicy {
  /**
   * Runs before the job is dead-lettered. A run its worker did not finish (the process died: the job
   * stalled) counts as one, like a failure: a job that kills its worker is not retried forever, and a worker
   * crash-looping for a while does not dead-letter the jobs it held.
   */
  attempts: number;
  /** Exponential backoff base: attempt n waits base × 2^(n-1), capped. */
  backoffMs: number;
  maxBackoffMs: number;
  concurrency: number;
}

export const JOB_POLICIES: Record<JobName, RetryPolicy> = {
  // Telemetry must survive an InfluxDB or PostgreSQL outage of several minutes: many attempts, capped backoff.
  'telemetry.ingest': { attempts: 40, backoffMs: 250, maxBackoffMs: 30_000, concurrency: 2 },
  'orders.fulfil': { attempts: 10, backoffMs: 1_000, maxBackoffMs: 60_000, concurrency: 2 },
  // The next scheduled scan redoes the work of a failed one: few attempts, one scan at a time.
  'alerts.scan': { attempts: 2, backoffMs: 1_000, maxBackoffMs: 5_000, concurrency: 1 },
  'invoices.monthly': { attempts: 5, backoffMs: 60_000, maxBackoffMs: 600_000, concurrency: 1 },
  // One at a time, so that pending orders are served oldest first.
  'orders.fulfil-pending': { attempts: 10, backoffMs: 1_000, maxBackoffMs: 60_000, concurrency: 1 },
  'orders.ship': { attempts: 10, backoffMs: 1_000, maxBackoffMs: 60_000, concurrency: 2 },
  'orders.deliver': { attempts: 10, backoffMs: 1_000, maxBackoffMs: 60_000, concurrency: 2 },
  // An attempt waits up to a few seconds for the device's PUBACK; retries of offline devices are new delayed jobs.
  'sms.deliver': { attempts: 5, backoffMs: 1_000, maxBackoffMs: 30_000, concurrency: 8 },
  // A bulk job resumes from its last recorded chunk; one job at a time keeps the database free for the API.
  'sims.bulk': { attempts: 5, backoffMs: 2_000, maxBackoffMs: 60_000, concurrency: 1 },
  // Connection log and sim.connected/disconnected: idempotent, so retried as long as telemetry.
  'device.connections': { attempts: 40, backoffMs: 250, maxBackoffMs: 30_000, concurrency: 2 },
  // HTTP failures follow the webhook retry schedule in the database; job retries only cover our own errors (database down).
  // Concurrency lets other endpoints' deliveries proceed while one endpoint hangs until its timeout.
  'webhooks.deliver': { attempts: 5, backoffMs: 1_000, maxBackoffMs: 30_000, concurrency: 16 },
  // The next hourly run redoes the work of a failed one.
  'identity.purge': { attempts: 2, backoffMs: 5_000, maxBackoffMs: 30_000, concurrency: 1 },
  // The next scheduled purge redoes the work of a failed one.
  'idempotency.purge': { attempts: 2, backoffMs: 1_000, maxBackoffMs: 5_000, concurrency: 1 },
};

export const JOB_NAMES = Object.keys(JOB_POLICIES) as JobName[];

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
}
