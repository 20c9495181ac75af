/**
 * One answer per key, shared: every caller while it is being computed gets the same promise
 * (single flight), and every caller for `maxAgeMs` after it came gets it too, whatever it was.
 * A newer answer can be put in from elsewhere (a fresher computation of the same thing).
 */
export class SharedResult<T> {
  private readonly entries = new Map<string, { answer: Promise<T>; settledAt: number | null }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry !== undefined && (entry.settledAt === null || this.now() - entry.settledAt < this.maxAgeMs)) return entry.answer;
    // Only fresh entries are kept: the keys a process sees are its settings, a handful at most.
    for (const [other, { settledAt }] of this.entries) if (settledAt !== null && this.now() - settledAt >= this.maxAgeMs) this.entries.delete(other);
    const computing: { answer: Promise<T>; settledAt: number | null } = { answer: compute(), settledAt: null };
    const settle = (): void => {
      computing.settledAt = this.now();
    };
    computing.answer.then(settle, settle);
    this.entries.set(key, computing);
    return computing.answer;
  }

  /** An answer computed elsewhere, as fresh as now: callers from now on get it. */
  put(key: string, answer: T): void {
    this.entries.set(key, { answer: Promise.resolve(answer), settledAt: this.now() });
  }
}
