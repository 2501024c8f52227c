import type { JobWithFailures } from '@simfleet/application';
import type { AccountJob } from '@simfleet/persistence';

/** The API's view of a job (jobView): the account is implied by the key. */
export const presentJob = (job: AccountJob | JobWithFailures) => ({
  id: job.id,
  kind: job.kind,
  status: job.status,
  action: job.action,
  reason: job.reason,
  actor: job.actor,
  total: job.total,
  processed: job.processed,
  succeeded: job.succeeded,
  failed: job.failed,
  ...('failures' in job ? { failures: job.failures } : {}),
  error: job.error,
  createdAt: job.createdAt,
  startedAt: job.startedAt,
  finishedAt: job.finishedAt,
});
