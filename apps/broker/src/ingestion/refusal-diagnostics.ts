import type { RecordProblem } from './record-validator.js';

/** Where the refusals are kept (IngestionErrors.recordIngestionErrors: the SIM's diagnostics). */
export type KeepRefusals = (iccid: string, problems: RecordProblem[], topic: string) => Promise<void>;

/**
 * Keeps a device's refusals for GET /v1/sims/{iccid}/diagnostics, gathered for a moment so that a device
 * flooding bad or rate-limited messages costs one write per SIM and topic, not one per message. A failure
 * there is reported to `onError` and never affects the device.
 */
export class RefusalDiagnostics {
  private pending = new Map<string, { iccid: string; topic: string; problems: RecordProblem[] }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly keep: KeepRefusals,
    private readonly onError: (iccid: string, error: unknown) => void,
    /** The last refusals kept per SIM and topic (older ones in the same window are dropped). */
    private readonly keptPerTopic: number,
    private readonly flushAfterMs = 250,
  ) {}

  add(iccid: string, topic: string, problems: RecordProblem[]): void {
    const key = `${iccid}\u0000${topic}`;
    const entry = this.pending.get(key) ?? { iccid, topic, problems: [] };
    entry.problems = [...entry.problems, ...problems].slice(-this.keptPerTopic);
    this.pending.set(key, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.flushAfterMs);
  }

  /** Writes what is gathered (also at shutdown). */
  flush(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    return Promise.all(
      entries.map(({ iccid, topic, problems }) =>
        // PostgreSQL text and jsonb cannot hold U+0000 (a device can put it in a payload that a parser's message quotes).
        this.keep(iccid, problems.map(withoutNul), withoutNulText(topic)).catch((error: unknown) => this.onError(iccid, error)),
      ),
    );
  }
}

const withoutNulText = (text: string): string => text.replaceAll('\u0000', '\uFFFD');
const withoutNul = (problem: RecordProblem): RecordProblem => ({
  ...problem,
  message: withoutNulText(problem.message),
  ...(problem.sessionId === undefined ? {} : { sessionId: withoutNulText(problem.sessionId) }),
  ...(problem.sessionIds === undefined ? {} : { sessionIds: problem.sessionIds.map(withoutNulText) }),
});
