/**
 * Rolling order statistics for the streaming detectors: a fixed-capacity window kept twice, once in
 * arrival order (a ring, to know which value leaves) and once sorted (binary search + one
 * `copyWithin` per insert and per removal, so O(log n) comparisons and an O(n) memmove of at most
 * `capacity` doubles — a few hundred nanoseconds for the windows of ≤ 1,000 points used here).
 *
 * On the sorted copy the median and any quantile are O(1), and the MAD (median absolute deviation
 * about the median) is O(log n): the deviations below the median, read from the median outwards,
 * and those above it are two ascending sequences, so their k-th smallest element is found by the
 * classic binary search over how many elements come from each.
 */

/** Consistency constant: 1.4826 × MAD estimates σ for Gaussian data. */
export const MAD_TO_SIGMA = 1.482602218505602;

export class RollingWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Adds a value, evicting the oldest one when the window is full. Returns the evicted value or undefined. */
  push(value: number): number | undefined {
    let evicted: number | undefined;
    if (this.count === this.capacity) {
      evicted = this.ring[this.head] as number;
      this.removeSorted(evicted);
      this.count--;
    }
    this.ring[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    this.insertSorted(value);
    this.count++;
    return evicted;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /**
   * Of the values above `threshold`, the share that start a run of consecutive values above it
   * (in arrival order); 1 when none is above. The runs estimator of the extremal index.
   */
  runShareAbove(threshold: number): number {
    const ring = this.ring;
    const capacity = this.capacity;
    let at = (this.head - this.count + capacity) % capacity;
    let above = 0;
    let runs = 0;
    let inRun = false;
    for (let i = 0; i < this.count; i++) {
      if ((ring[at] as number) > threshold) {
        above++;
        if (!inRun) runs++;
        inRun = true;
      } else inRun = false;
      if (++at === capacity) at = 0;
    }
    return above > 0 ? runs / above : 1;
  }

  /** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics; NaN when empty. */
  quantile(q: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const a = this.sorted[lo] as number;
    return a + ((this.sorted[hi] as number) - a) * (pos - lo);
  }

  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const mid = n >> 1;
    if (n & 1) return this.sorted[mid] as number;
    return ((this.sorted[mid - 1] as number) + (this.sorted[mid] as number)) / 2;
  }

  /** Median absolute deviation about `center` (the window median by default); NaN when empty. */
  mad(center = this.median()): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const split = this.lowerBound(center);
    if (n & 1) return this.kthDeviation(n >> 1, center, split);
    return (this.kthDeviation((n >> 1) - 1, center, split) + this.kthDeviation(n >> 1, center, split)) / 2;
  }

  /** Number of values in the window strictly below `value`. */
  countBelow(value: number): number {
    return this.lowerBound(value);
  }

  /** Number of values in the window at or below `value`. */
  countAtOrBelow(value: number): number {
    return this.upperBound(value);
  }

  /** The value at sorted position `index` (0 = smallest). */
  at(index: number): number {
    return this.sorted[index] as number;
  }

  /**
   * k-th smallest (0-based) of |x − center| over the window. A = deviations of values below the
   * split read downwards (center − sorted[split−1−i]), B = deviations of values from the split
   * upwards (sorted[split+j] − center); both ascend. Binary search on how many of the k+1 smallest
   * come from A.
   */
  private kthDeviation(k: number, center: number, split: number): number {
    const sorted = this.sorted;
    const lenA = split;
    const lenB = this.count - split;
    const need = k + 1;
    let lo = Math.max(0, need - lenB);
    let hi = Math.min(need, lenA);
    while (lo <= hi) {
      const i = (lo + hi) >> 1; // elements taken from A
      const j = need - i; // elements taken from B
      const aLeft = i > 0 ? center - (sorted[split - i] as number) : Number.NEGATIVE_INFINITY;
      const aRight = i < lenA ? center - (sorted[split - 1 - i] as number) : Number.POSITIVE_INFINITY;
      const bLeft = j > 0 ? (sorted[split + j - 1] as number) - center : Number.NEGATIVE_INFINITY;
      const bRight = j < lenB ? (sorted[split + j] as number) - center : Number.POSITIVE_INFINITY;
      if (aLeft > bRight) hi = i - 1;
      else if (bLeft > aRight) lo = i + 1;
      else return Math.max(aLeft, bLeft);
    }
    return Number.NaN; // unreachable for 0 ≤ k < count
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.count;
    const sorted = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(value: number): number {
    let lo = 0;
    let hi = this.count;
    const sorted = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertSorted(value: number): void {
    const at = this.upperBound(value);
    this.sorted.copyWithin(at + 1, at, this.count);
    this.sorted[at] = value;
  }

  private removeSorted(value: number): void {
    const at = this.lowerBound(value);
    this.sorted.copyWithin(at, at + 1, this.count);
  }
}

/** A fixed-capacity ring of the last `capacity` numbers (for per-phase histories and lags). */
export class Ring {
  private readonly values: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(value: number): void {
    this.values[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Empties the ring. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** The i-th most recent value (0 = newest). */
  recent(i: number): number {
    return this.values[(this.head - 1 - i + 2 * this.capacity) % this.capacity] as number;
  }
}

/**
 * Maximum of the last `capacity` values pushed, O(1) amortised per push (monotone deque of
 * candidates: each value is dropped once a later, larger one arrives). 0 when empty.
 */
export class SlidingMax {
  private readonly values: Float64Array;
  private readonly stamps: Float64Array;
  private head = 0;
  private length = 0;
  private pushed = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity + 1);
    this.stamps = new Float64Array(capacity + 1);
  }

  push(value: number): void {
    const size = this.values.length;
    // Drop candidates from the back that the new value dominates.
    while (this.length > 0) {
      const back = (this.head + this.length - 1) % size;
      if ((this.values[back] as number) > value) break;
      this.length--;
    }
    const slot = (this.head + this.length) % size;
    this.values[slot] = value;
    this.stamps[slot] = this.pushed++;
    this.length++;
    // Expire the front once it is older than the window.
    if ((this.stamps[this.head] as number) <= this.pushed - 1 - this.capacity) {
      this.head = (this.head + 1) % size;
      this.length--;
    }
  }

  max(): number {
    return this.length > 0 ? (this.values[this.head] as number) : 0;
  }
}
