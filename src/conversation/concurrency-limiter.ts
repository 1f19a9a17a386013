export interface ConcurrencyLimiterOptions {
  /**
   * Awaited before each task starts, once it has a slot (for example until a receiver has
   * acknowledged what waits). Without it, a macrotask boundary lets pending I/O go first.
   */
  ready?: () => Promise<void>;
}

/** Runs at most `limit` tasks at once; the rest wait their turn in arrival order. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly onIdle: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly options: ConcurrencyLimiterOptions = {},
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency limit must be a whole number >= 1, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await (this.options.ready ? this.options.ready() : new Promise((resolve) => setTimeout(resolve, 0)));
      return await task();
    } finally {
      this.active--;
      const next = this.waiting.shift();
      if (next) next();
      else if (this.active === 0) for (const resolve of this.onIdle.splice(0)) resolve();
    }
  }

  /** Resolves once no task runs or waits (at once when none does). */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.onIdle.push(resolve));
  }

  /** Tasks running and tasks waiting for a slot. */
  get state(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
