// The clocks that read the wall clock, outside the pure domain (which only knows the Clock port).
import { Clock } from '@simfleet/domain';

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/**
 * A clock that runs at the wall clock's pace from a chosen instant: a whole platform under test can live
 * on a given day (timers, retries and TTLs still elapse) whatever the machine's date is.
 */
export class ShiftedClock extends Clock {
  private offsetMs: number;

  constructor(start: Date) {
    super();
    this.offsetMs = start.getTime() - Date.now();
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Jumps to `instant`; the clock keeps running from there. */
  travelTo(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }
}
