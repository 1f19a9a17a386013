/** A timer an engine clock hands out; only the clock that made it can clear it. */
export type ClockTimer = { readonly clock: 'real'; readonly timeout: NodeJS.Timeout } | { readonly clock: 'virtual'; id: number };

/**
 * Time as the simulated engine sees it: milliseconds from `now()` and one-shot timers.
 * Live servers use the real clock; a test or bench drives the same engine in virtual time.
 */
export interface EngineClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Wall-clock time: `performance.now()` and Node's timers, unref'd so a server never keeps a process alive. */
export const REAL_CLOCK: EngineClock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timeout = setTimeout(callback, ms);
    timeout.unref();
    return { clock: 'real', timeout };
  },
  clearTimeout(timer) {
    if (timer?.clock === 'real') clearTimeout(timer.timeout);
  },
};

interface Pending {
  at: number;
  order: number;
  id: number;
  callback: () => void;
}

/**
 * Discrete-event time: timers fire in order of their due time (ties in the order they were
 * set) when `advance` moves the clock past them, and no real time passes. Deterministic.
 */
export class VirtualClock implements EngineClock {
  private time = 0;
  private order = 0;
  private nextId = 1;
  private readonly heap: Pending[] = [];
  private readonly cancelled = new Set<number>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const id = this.nextId++;
    this.push({ at: this.time + Math.max(0, ms), order: this.order++, id, callback });
    return { clock: 'virtual', id };
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer?.clock === 'virtual') this.cancelled.add(timer.id);
  }

  /** Runs every timer due within the next `ms` milliseconds, including those they set, and ends at now + ms. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > until) break;
      this.pop();
      if (this.cancelled.delete(next.id)) continue;
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }

  private push(entry: Pending): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent] as Pending)) break;
      heap[index] = heap[parent] as Pending;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Pending;
    if (heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Pending, heap[left] as Pending) ? right : left;
      if (!before(heap[child] as Pending, last)) break;
      heap[index] = heap[child] as Pending;
      index = child;
    }
    heap[index] = last;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
