/**
 * The simulated day: moved by hand (advanceDays/setDay) and, when dayLengthMs > 0, by the
 * passing of real time as well.
 */
export class SimClock {
  private offset = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly dayLengthMs: number) {}

  get day(): number {
    return this.offset + (this.dayLengthMs > 0 ? Math.floor((Date.now() - this.startedAt) / this.dayLengthMs) : 0);
  }

  advance(days: number): void {
    this.offset += days;
  }

  set(day: number): void {
    this.offset += day - this.day;
  }
}
