import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { EventStreamRepository, comparePositions, type StreamPosition, type StreamedEvent } from '@simfleet/persistence';

/** Rows read per query, and queries per group per tick: a reader far behind catches up over several ticks. */
const PAGE = 1_000;
const PAGES_PER_TICK = 5;

/** Which events a subscriber wants: types (exact, or a `prefix.*`) and subjects; empty means all. */
export interface StreamFilter {
  types: readonly string[];
  subjects: readonly string[];
}

export interface StreamSink {
  /** Events in stream order, already filtered for this subscriber. */
  send(events: StreamedEvent[]): void;
  /** The process is stopping: end the stream (the client reconnects elsewhere and resumes). */
  end(): void;
}

/** One open stream: where it stands (everything before has been considered for it) and how to leave. */
export interface StreamSubscription {
  readonly accountId: string;
  readonly position: StreamPosition;
  close(): void;
}

class Subscriber implements StreamSubscription {
  closed = false;
  constructor(
    readonly accountId: string,
    private readonly filter: StreamFilter,
    public position: StreamPosition,
    readonly sink: StreamSink,
    private readonly onClose: (s: Subscriber) => void,
  ) {}

  wants(event: StreamedEvent['event']): boolean {
    if (event.accountId !== this.accountId) return false;
    const { types, subjects } = this.filter;
    if (subjects.length && !subjects.includes(event.subject)) return false;
    return !types.length || types.some((t) => (t.endsWith('.*') ? event.type.startsWith(t.slice(0, -1)) : event.type === t));
  }

  deliver(rows: StreamedEvent[]): void {
    if (this.closed) return;
    const mine = rows.filter((r) => comparePositions(r.position, this.position) > 0 && this.wants(r.event));
    if (mine.length) this.sink.send(mine);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

const key = (p: StreamPosition) => `${p.txId}-${p.eventId}`;

/**
 * The live event stream of an API process (GET /v1/events/stream): it reads the outbox, never a broker, so
 * any number of API instances serve it and a reader resuming from a position misses nothing.
 *
 * Each tick reads the outbox once per group of subscribers standing at the same position (normally all of
 * them: they converge on the horizon), for all their accounts at once, and hands each subscriber the rows of
 * its account that match its filter. A subscriber that resumed from an older position catches up on its
 * own, bounded by the live group's position, then joins it. Nothing is read while nobody listens.
 */
@Injectable()
export class EventStream implements OnModuleDestroy {
  private readonly logger = new Logger('EventStream');
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(EventStreamRepository) private readonly outbox: EventStreamRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The position of "now": every event that becomes visible from here on comes after it. */
  async currentPosition(): Promise<StreamPosition> {
    return { txId: await this.outbox.horizon(), eventId: '' };
  }

  subscribe(accountId: string, filter: StreamFilter, from: StreamPosition, sink: StreamSink): StreamSubscription {
    const subscriber = new Subscriber(accountId, filter, from, sink, (s) => this.subscribers.delete(s));
    this.subscribers.add(subscriber);
    this.schedule();
    return subscriber;
  }

  get size(): number {
    return this.subscribers.size;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const s of [...this.subscribers]) {
      s.close();
      s.sink.end();
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.running || !this.subscribers.size) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .catch((error: unknown) => this.logger.warn(`event stream read failed, retrying: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.config.eventStream.pollIntervalMs);
  }

  /** One pass over the outbox for every open stream (exposed for tests of the ordering rules). */
  async tick(): Promise<void> {
    if (!this.subscribers.size) return;
    const horizon = await this.outbox.horizon();
    const groups = new Map<string, Subscriber[]>();
    for (const s of this.subscribers) {
      const group = groups.get(key(s.position)) ?? [];
      group.push(s);
      groups.set(key(s.position), group);
    }
    const ordered = [...groups.values()].sort((a, b) => comparePositions(a[0].position, b[0].position));
    const live = ordered.pop()!;
    const liveFrom = live[0].position;
    for (const group of ordered) {
      // Behind the live group: catch up to where it stands, then join it.
      const { position } = await this.advance(group, group[0].position, horizon, liveFrom);
      if (comparePositions(position, liveFrom) === 0) live.push(...group);
    }
    const { position, complete } = await this.advance(live, liveFrom, horizon);
    // Every row below the horizon has been read: the next rows can only come from transactions at or above it.
    const caughtUp = { txId: horizon, eventId: '' };
    if (complete && comparePositions(caughtUp, position) > 0) for (const s of live) s.position = caughtUp;
  }

  /**
   * Reads from `from` up to `upTo` (or the horizon) and delivers; returns the position reached, and whether
   * nothing was left to read.
   */
  private async advance(
    group: Subscriber[],
    from: StreamPosition,
    horizon: string,
    upTo?: StreamPosition,
  ): Promise<{ position: StreamPosition; complete: boolean }> {
    const accounts = [...new Set(group.map((s) => s.accountId))];
    let position = from;
    for (let page = 0; page < PAGES_PER_TICK; page++) {
      const rows = await this.outbox.read(accounts, position, horizon, PAGE, upTo);
      for (const s of group) s.deliver(rows);
      if (rows.length) position = rows[rows.length - 1].position;
      if (rows.length < PAGE) {
        if (upTo) position = upTo;
        for (const s of group) s.position = position;
        return { position, complete: true };
      }
      for (const s of group) s.position = position;
    }
    return { position, complete: false };
  }
}
