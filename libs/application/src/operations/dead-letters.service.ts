import { Inject, Injectable } from '@nestjs/common';
import { Clock, DomainError } from '@simfleet/domain';
import { DeadLetterRepository, type DeadLetterRecord } from '@simfleet/persistence';
import { JOB_NAMES, JobQueue, type JobName, type JobPayloads } from '@simfleet/queue';

const isJobName = (name: string): name is JobName => (JOB_NAMES as string[]).includes(name);

/** The job a dead letter is replayed as: one per dead letter, so that replaying twice queues it once. */
export const replayJobId = (deadLetterId: string) => `replay-${deadLetterId}`;

/**
 * Jobs that failed every attempt (the dead-letter list), and their replay: the job is queued again with
 * its payload as it failed, once the cause is fixed. Every job is safe to run twice (at-least-once
 * delivery), and a replayed job is told it is a redelivery (ingestion then repairs what its last run left).
 */
@Injectable()
export class DeadLettersService {
  constructor(
    @Inject(DeadLetterRepository) private readonly deadLetters: DeadLetterRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  list(limit: number, after?: string): Promise<DeadLetterRecord[]> {
    return this.deadLetters.list(limit, after);
  }

  /**
   * Queues the dead letter's job again. Idempotent: a dead letter already replayed is answered as it stands
   * (`replayed: false`), nothing is queued again; a new failure of the replayed job is a new dead letter.
   */
  async replay(id: string): Promise<{ deadLetter: DeadLetterRecord; replayed: boolean }> {
    const deadLetter = await this.deadLetters.get(id);
    if (!deadLetter) throw DomainError.notFound('Dead letter', id);
    if (deadLetter.replayedAt) return { deadLetter, replayed: false };
    const { jobName } = deadLetter;
    if (!isJobName(jobName)) throw DomainError.conflict(`no job is named ${jobName} any more: dead letter ${id} cannot be replayed`, { jobName });
    // Queued first, under an id of its own, then marked: a crash in between leaves it unmarked, and the next
    // call queues the same job id (a no-op while it is queued) and marks it.
    const jobId = replayJobId(id);
    await this.queue.add(jobName, deadLetter.payload as JobPayloads[typeof jobName], { jobId, redelivery: true });
    const marked = await this.deadLetters.markReplayed(id, jobId, this.clock.now());
    return { deadLetter: marked ?? deadLetter, replayed: true };
  }
}
