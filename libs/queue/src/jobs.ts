import type { IngestBatch } from '../../domain/src/telemetry/records.js';

/**
 * Every job of the platform, its payload and its retry policy: the one place job names live.
 * Startup fails if a worker lacks a handler for one of them, or registers two.
 */
export interface JobPayloads {
  'telemetry.ingest': IngestBatch;
  'orders.fulfil': { orderId: string };
}

export type JobName = keyof JobPayloads;

export interface RetryPolicy {
  attempts: number;
  /** Exponential backoff base: attempt n waits base × 2^(n-1), capped. */
  backoffMs: number;
  maxBackoffMs: number;
  concurrency: number;
}

export const JOB_POLICIES: Record<JobName, RetryPolicy> = {
  // Telemetry must survive an InfluxDB or PostgreSQL outage of several minutes: many attempts, capped backoff.
  'telemetry.ingest': { attempts: 40, backoffMs: 250, maxBackoffMs: 30_000, concurrency: 4 },
  'orders.fulfil': { attempts: 10, backoffMs: 1_000, maxBackoffMs: 60_000, concurrency: 2 },
};

export const JOB_NAMES = Object.keys(JOB_POLICIES) as JobName[];

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
}
