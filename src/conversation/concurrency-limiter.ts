/** Runs at most `limit` tasks at once; the rest wait their turn in arrival order. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    // A macrotask boundary before each task lets pending I/O (requests to acknowledge) go first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
