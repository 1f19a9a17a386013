/** A timer an engine clock hands out; only the clock that made it can clear it. */
export type ClockTimer =
  | { readonly clock: 'real'; readonly timeout: NodeJS.Timeout }
  | { readonly clock: 'virtual'; id: number }
  | { readonly clock: 'scaled'; id: number };

/**
 * Time as the simulated engine sees it: milliseconds from `now()` and one-shot timers.
 * Live servers use the real clock; a test or bench drives the same engine in virtual time.
 */
export interface EngineClock {
  /** How many times faster than real time the clock runs (1: real time); absent for a clock detached from real time. */
  readonly realTimeScale?: number | undefined;
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Wall-clock time: `performance.now()` and Node's timers, unref'd so a server never keeps a process alive. */
export const REAL_CLOCK: EngineClock = {
  realTimeScale: 1,
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

/**
 * Discrete-event time: timers fire in order of their due time (ties in the order they were
 * set) when `advance` moves the clock past them, and no real time passes. Deterministic.
 */
export class VirtualClock implements EngineClock {
  private time = 0;
  private readonly timers = new TimerQueue();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    return { clock: 'virtual', id: this.timers.add(this.time + Math.max(0, ms), callback) };
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer?.clock === 'virtual') this.timers.cancel(timer.id);
  }

  /** Runs every timer due within the next `ms` milliseconds, including those they set, and ends at now + ms. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let next = this.timers.takeDue(until); next; next = this.timers.takeDue(until)) {
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}

/**
 * Real time sped up: an engine millisecond passes in 1/`realTimeScale` of a real one, so tests whose
 * assertions compare ratios run the same engine without waiting as long. Timers run in order of
 * their due time, each seeing its due time as now, and timers set there count from it; those that
 * are due by the time one fires run right after it. So the engine's steps keep their modelled
 * lengths however coarse or late Node's timers are (a real millisecond is many engine ones): the
 * clock catches up instead of drifting. A longer stall (the process starved of CPU) is not caught
 * up, which would hand clients many steps' tokens at once: engine time stands still through it,
 * as a real server's would fall behind. Time never goes back: a request stamped while a timer was
 * late moves it on.
 */
export class ScaledClock implements EngineClock {
  /** Real milliseconds of lateness the clock catches up; past this it stands still instead. */
  static readonly MAX_CATCH_UP_MS = 4;
  private origin = performance.now();
  private readonly timers = new TimerQueue();
  private latest = 0;
  private firingAt: number | undefined;
  private wakeUp: { at: number; timeout: NodeJS.Timeout } | undefined;

  constructor(readonly realTimeScale: number) {
    if (!(realTimeScale > 0 && Number.isFinite(realTimeScale)))
      throw new RangeError(`a clock's time scale must be a positive number, got ${realTimeScale}`);
  }

  now(): number {
    this.latest = Math.max(this.latest, this.firingAt ?? this.elapsed());
    return this.latest;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const id = this.timers.add(this.now() + Math.max(0, ms), callback);
    if (this.firingAt === undefined) this.arm();
    return { clock: 'scaled', id };
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer?.clock === 'scaled') this.timers.cancel(timer.id);
  }

  /** Engine milliseconds since the clock was made: real ones times the scale. */
  private elapsed(): number {
    return (performance.now() - this.origin) * this.realTimeScale;
  }

  /** One real timer, for the earliest engine timer. */
  private arm(): void {
    const next = this.timers.nextAt();
    if (next === undefined || (this.wakeUp && this.wakeUp.at <= next)) return;
    if (this.wakeUp) clearTimeout(this.wakeUp.timeout);
    const timeout = setTimeout(() => this.fire(), Math.max(0, (next - this.elapsed()) / this.realTimeScale));
    timeout.unref();
    this.wakeUp = { at: next, timeout };
  }

  private fire(): void {
    this.wakeUp = undefined;
    const lateBy = this.elapsed() - (this.timers.nextAt() ?? Number.POSITIVE_INFINITY);
    const allowed = ScaledClock.MAX_CATCH_UP_MS * this.realTimeScale;
    if (lateBy > allowed) this.origin += (lateBy - allowed) / this.realTimeScale;
    // Every timer due by now, in order; a few milliseconds at most, so that requests still come in.
    const until = this.elapsed();
    const stopAt = performance.now() + 5;
    for (let next = this.timers.takeDue(until); next; next = this.timers.takeDue(until)) {
      this.firingAt = Math.max(next.at, this.latest);
      try {
        next.callback();
      } finally {
        this.latest = this.firingAt;
        this.firingAt = undefined;
      }
      if (performance.now() > stopAt) break;
    }
    this.arm();
  }
}

/** The real clock, or real time sped up `scale` times. */
export function clockAt(scale: number): EngineClock {
  return scale === 1 ? REAL_CLOCK : new ScaledClock(scale);
}

interface Pending {
  at: number;
  order: number;
  id: number;
  callback: () => void;
}

/** Timers by due time (ties in the order they were set): a binary heap, with cancelled ones skipped. */
class TimerQueue {
  private order = 0;
  private nextId = 1;
  private readonly heap: Pending[] = [];
  private readonly cancelled = new Set<number>();

  add(at: number, callback: () => void): number {
    const id = this.nextId++;
    this.push({ at, order: this.order++, id, callback });
    return id;
  }

  cancel(id: number): void {
    if (this.heap.some((entry) => entry.id === id)) this.cancelled.add(id);
  }

  /** The due time of the earliest timer not cancelled. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest timer not cancelled when it is due by `until`. */
  takeDue(until: number): Pending | undefined {
    this.dropCancelled();
    const next = this.heap[0];
    if (!next || next.at > until) return undefined;
    this.pop();
    return next;
  }

  private dropCancelled(): void {
    for (let top = this.heap[0]; top && this.cancelled.delete(top.id); top = this.heap[0]) this.pop();
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
