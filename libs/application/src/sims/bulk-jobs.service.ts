import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Clock,
  DomainError,
  ErrorCode,
  type FieldProblem,
  domainEvent,
  newId,
  decodeCursor,
  decodeSequenceCursor,
  encodeCursor,
  toPage,
  type Page,
  iccidProblem,
  type SimAction,
  type SimListFilter,
  type NewAuditEntry,
} from '@simfleet/domain';
import { Database, EventRepository, JobRepository, type AccountJob, type JobFailure, SimFleetRepository } from '@simfleet/persistence';
import { JobQueue } from '@simfleet/queue';
import { AuditTrail } from '../identity/audit-trail.js';
import { SimOrganisationService } from './sim-organisation.service.js';
import { SimsService } from './sims.service.js';

export const BULK_MAX_SIMS = 100_000;
/** SIMs per progress update: small enough that progress moves every second or so. */
export const BULK_CHUNK = 250;
/** Transitions in flight at once within a chunk (each is its own transaction). */
const BULK_PARALLELISM = 4;
/** GET /v1/jobs/{id} embeds at most this many failures; /v1/jobs/{id}/failures pages through all. */
export const EMBEDDED_FAILURES = 1_000;
/** At most this many bad ICCIDs are listed in a 422 (the count says how many there were). */
const LISTED_PROBLEMS = 1_000;

export interface BulkRequest {
  action: SimAction;
  iccids?: string[];
  filter?: SimListFilter;
  reason?: string;
}

export interface JobWithFailures extends AccountJob {
  failures: JobFailure[];
}

/** Why one SIM's transition failed, as users read it in the job (never revealing another tenant's SIM). */
function failureReason(error: unknown): string | null {
  if (!(error instanceof DomainError)) return null;
  if (error.code === ErrorCode.NotFound) return 'not found';
  return error.message;
}

/**
 * Bulk lifecycle actions: accepted as a job over a fixed set of SIMs, processed in chunks by the
 * `sims.bulk` worker, each SIM through SimsService.applyAction so one bad SIM never fails the rest.
 */
@Injectable()
export class BulkJobsService {
  private readonly logger = new Logger('BulkJobs');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(SimFleetRepository) private readonly fleet: SimFleetRepository,
    @Inject(SimOrganisationService) private readonly organisation: SimOrganisationService,
    @Inject(SimsService) private readonly sims: SimsService,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(AuditTrail) private readonly audit: AuditTrail,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** `actor` and `requestId` say who started the job, from which request: each of its changes is audited under them. */
  async submit(accountId: string, request: BulkRequest, actor: string, requestId?: string): Promise<AccountJob> {
    const targets = await this.resolveTargets(accountId, request);
    const job = await this.db.transaction((tx) =>
      this.jobs.insert(
        tx,
        {
          id: newId('job'),
          accountId,
          kind: 'sims.bulk',
          action: request.action,
          actor,
          requestId: requestId ?? null,
          reason: request.reason ?? null,
          createdAt: this.clock.now(),
        },
        targets,
      ),
    );
    await this.queue.add('sims.bulk', { jobId: job.id }, { jobId: job.id });
    return job;
  }

  private async resolveTargets(accountId: string, request: BulkRequest): Promise<string[]> {
    const hasIccids = request.iccids !== undefined;
    const hasFilter = request.filter !== undefined;
    if (hasIccids === hasFilter) {
      const message = hasIccids ? 'send either iccids or filter, not both' : 'send iccids (a list) or filter (the list filters)';
      throw DomainError.validation(`The bulk request is not valid: ${message}`, [
        { field: 'iccids', message },
        { field: 'filter', message },
      ]);
    }
    if (request.iccids) {
      const iccids = request.iccids;
      if (iccids.length === 0) throw DomainError.validation('iccids: at least one ICCID', [{ field: 'iccids', message: 'at least one ICCID' }]);
      if (iccids.length > BULK_MAX_SIMS) {
        throw DomainError.validation(`iccids: at most ${BULK_MAX_SIMS} ICCIDs per job (got ${iccids.length}); split the work into several jobs`, [
          { field: 'iccids', message: `at most ${BULK_MAX_SIMS} ICCIDs (got ${iccids.length})` },
        ]);
      }
      const problems: FieldProblem[] = [];
      let bad = 0;
      iccids.forEach((iccid, i) => {
        const problem = iccidProblem(iccid);
        if (!problem) return;
        bad += 1;
        if (problems.length < LISTED_PROBLEMS) problems.push({ field: `iccids/${i}`, message: `${iccid}: ${problem}` });
      });
      if (bad) {
        throw DomainError.validation(
          `${bad} ICCID(s) are not valid ICCIDs${bad > problems.length ? ` (the first ${problems.length} are listed)` : ''}`,
          problems,
        );
      }
      // A repeated ICCID is acted on once.
      return [...new Set(iccids)];
    }
    const filter = request.filter as SimListFilter;
    await this.organisation.assertGroupFilter(accountId, filter, 'filter/groupId');
    const iccids = await this.fleet.matchingIccids(accountId, filter, BULK_MAX_SIMS + 1);
    if (iccids.length > BULK_MAX_SIMS) {
      throw DomainError.validation(`The filter matches more than ${BULK_MAX_SIMS} SIMs: narrow it, or split the work into several jobs`, [
        { field: 'filter', message: `matches more than ${BULK_MAX_SIMS} SIMs` },
      ]);
    }
    return iccids;
  }

  async get(accountId: string, id: string): Promise<JobWithFailures> {
    const job = await this.jobs.find(accountId, id);
    if (!job) throw DomainError.notFound('Job', id);
    const failures = await this.jobs.failures(id, EMBEDDED_FAILURES);
    return { ...job, failures: failures.map(({ iccid, reason }) => ({ iccid, reason })) };
  }

  async list(accountId: string, limit: number, cursor?: string): Promise<Page<AccountJob>> {
    const rows = await this.jobs.list(accountId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (j) => j.id);
  }

  async failures(accountId: string, id: string, limit: number, cursor?: string): Promise<Page<JobFailure>> {
    if (!(await this.jobs.find(accountId, id))) throw DomainError.notFound('Job', id);
    const after = cursor ? decodeSequenceCursor(cursor) : -1;
    const rows = await this.jobs.failures(id, limit + 1, after);
    const data = rows.slice(0, limit);
    return {
      data: data.map(({ iccid, reason }) => ({ iccid, reason })),
      nextCursor: rows.length > limit ? encodeCursor(String(data[data.length - 1].seq)) : null,
    };
  }

  /**
   * Worker side: processes the job's SIMs from its resume point, chunk by chunk, recording progress after
   * each chunk. An infrastructure error (database down) propagates so the queue retries the job; the retry
   * resumes at the last recorded chunk.
   */
  async process(jobId: string): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job || job.status === 'completed' || job.status === 'failed') return;
    await this.jobs.markRunning(jobId, this.clock.now());
    const action = job.action as SimAction;
    for (let from = job.processed; from < job.total; from += BULK_CHUNK) {
      const to = Math.min(job.total, from + BULK_CHUNK);
      const iccids = await this.jobs.targets(jobId, from, to);
      const failures: Array<JobFailure & { seq: number }> = [];
      const audited: NewAuditEntry[] = [];
      for (let i = 0; i < iccids.length; i += BULK_PARALLELISM) {
        const batch = iccids.slice(i, i + BULK_PARALLELISM);
        const outcomes = await Promise.allSettled(
          batch.map((iccid) => this.sims.applyAction(job.accountId, iccid, action, job.actor, job.reason ?? undefined)),
        );
        outcomes.forEach((outcome, k) => {
          if (outcome.status === 'fulfilled') {
            audited.push(this.auditEntry(job, batch[k], 'success'));
            return;
          }
          const reason = failureReason(outcome.reason);
          if (reason === null) throw outcome.reason;
          failures.push({ seq: from + i + k, iccid: batch[k], reason });
          audited.push(this.auditEntry(job, batch[k], 'failure'));
        });
        // The embedded database answers in microtasks: without a macrotask turn, a long job would starve the
        // HTTP server of this same process until it ends.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await this.audit.record(audited);
      await this.jobs.recordProgress(jobId, to, failures);
    }
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const done = await this.jobs.finish(tx, jobId, 'completed', now);
      await this.events.append(tx, [
        domainEvent(
          'job.completed',
          done.accountId,
          done.id,
          { jobId: done.id, kind: done.kind, action: done.action, total: done.total, succeeded: done.succeeded, failed: done.failed },
          now,
        ),
      ]);
    });
  }

  /** A change the job made on behalf of whoever started it. */
  private auditEntry(job: AccountJob, iccid: string, outcome: 'success' | 'failure'): NewAuditEntry {
    return {
      accountId: job.accountId,
      actor: job.actor,
      actorName: null,
      platformActor: false,
      action: `sims.${job.action}`,
      resource: `sims/${iccid}`,
      outcome,
      status: null,
      requestId: job.requestId,
      via: `job:${job.id}`,
      address: null,
      at: this.clock.now(),
    };
  }

  /** The job failed for good (its retries exhausted): visible as `failed`, with the error. */
  async markFailed(jobId: string, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.clock.now();
    this.logger.error(`bulk job ${jobId} failed: ${message}`);
    await this.db.transaction(async (tx) => {
      const done = await this.jobs.finish(tx, jobId, 'failed', now, message);
      await this.events.append(tx, [
        domainEvent(
          'job.failed',
          done.accountId,
          done.id,
          { jobId: done.id, kind: done.kind, action: done.action, processed: done.processed, error: message },
          now,
        ),
      ]);
    });
  }
}
