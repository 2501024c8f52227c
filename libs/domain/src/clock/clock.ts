/** Time as a dependency, so that domain code and its tests never read the wall clock directly. */
export abstract class Clock {
  abstract now(): Date;
}

/** A clock that stands still until told to move: for pure specs that assert exact instants. */
export class FixedClock extends Clock {
  constructor(private current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
