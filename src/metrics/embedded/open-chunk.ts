import { CHUNK_SAMPLES } from './chunk-format.ts';
import type { FamilyPart } from './series-layouts.ts';

/**
 * One family's values in a chunk being written: scrape by scrape, one float64 per series of
 * its keyset (NaN where the scrape lacked the series). The keyset only grows: a series that
 * appears mid-chunk is added with NaN for the scrapes before it.
 */
export class FamilyColumns {
  readonly keys: string[];
  private readonly index = new Map<string, number>();
  /** The stored keyset's id, or undefined when the keyset changed since it was stored. */
  keysetId: number | undefined;
  values: Float64Array;
  /** The scrape layout `map` was made for, and where each of its series goes. */
  private mappedLayout = -1;
  private map = new Int32Array(0);
  private covers = false;
  lastRow = -1;

  constructor(
    keys: readonly string[],
    private capacity: number,
    keysetId?: number,
    values?: Float64Array,
  ) {
    this.keys = [...keys];
    this.keys.forEach((key, i) => {
      this.index.set(key, i);
    });
    this.keysetId = keysetId;
    this.values = new Float64Array(capacity * this.keys.length).fill(Number.NaN);
    if (values) this.values.set(values.subarray(0, Math.min(values.length, this.values.length)));
  }

  /** Writes scrape `row` of layout `layoutId`, whose values of this family are `part`'s indices into `scrape`. */
  write(row: number, layoutId: number, part: FamilyPart, scrape: Float64Array): void {
    if (this.mappedLayout !== layoutId) this.mapTo(layoutId, part, row);
    const k = this.keys.length;
    const base = row * k;
    if (!this.covers) this.values.fill(Number.NaN, base, base + k);
    const { indices } = part;
    for (let j = 0; j < indices.length; j++) this.values[base + (this.map[j] as number)] = scrape[indices[j] as number] as number;
    this.lastRow = row;
  }

  /** Marks scrape `row` as lacking every series of the family. */
  absent(row: number): void {
    const k = this.keys.length;
    this.values.fill(Number.NaN, row * k, row * k + k);
    this.lastRow = row;
  }

  /** The value of `key` at `row`, or undefined when the keyset has no such series. */
  valueAt(row: number, key: string): number | undefined {
    const column = this.index.get(key);
    return column === undefined ? undefined : this.values[row * this.keys.length + column];
  }

  /** Room for `capacity` scrapes, keeping the first `rows`. */
  grow(capacity: number, rows: number): void {
    const next = new Float64Array(capacity * this.keys.length).fill(Number.NaN);
    next.set(this.values.subarray(0, rows * this.keys.length));
    this.values = next;
    this.capacity = capacity;
  }

  private mapTo(layoutId: number, part: FamilyPart, rows: number): void {
    const map = new Int32Array(part.keys.length);
    const added: string[] = [];
    part.keys.forEach((key, j) => {
      let column = this.index.get(key);
      if (column === undefined) {
        column = this.keys.length + added.length;
        added.push(key);
        this.index.set(key, column);
      }
      map[j] = column;
    });
    if (added.length > 0) this.widen(added, rows);
    this.map = map;
    this.mappedLayout = layoutId;
    this.covers = part.keys.length === this.keys.length;
  }

  /** Adds series to the keyset: the first `rows` scrapes get NaN for them. */
  private widen(added: string[], rows: number): void {
    const before = this.keys.length;
    const after = before + added.length;
    const next = new Float64Array(this.capacity * after).fill(Number.NaN);
    for (let r = 0; r < rows; r++) next.set(this.values.subarray(r * before, r * before + before), r * after);
    this.values = next;
    this.keys.push(...added);
    this.keysetId = undefined;
  }
}

/** Rows [from, to) of a chunk in memory, stored as one chunk row under `t0` (their first time), with rows for `families`. */
export interface StoredPiece {
  t0: number;
  from: number;
  to: number;
  families: string[];
}

/**
 * A chunk of one target's scrapes in memory: the open chunk the scraper appends to (stored
 * as pieces until it is full), or one being rewritten.
 */
export class OpenChunk {
  times: Float64Array;
  layouts: Uint32Array;
  n = 0;
  readonly families = new Map<string, FamilyColumns>();
  /** The pieces of it stored so far, in order; rows after the last piece are not stored yet. */
  stored: StoredPiece[] = [];
  /** Each row's scrape as it came, in its layout's order (kept to store pieces whole). */
  readonly scrapes: Float64Array[] = [];

  constructor(private capacity = CHUNK_SAMPLES) {
    this.times = new Float64Array(capacity);
    this.layouts = new Uint32Array(capacity);
  }

  /** Appends scrape `t` (unix ms) of layout `layoutId` (grouped by family in `plan`) with its values in layout order. */
  add(t: number, layoutId: number, plan: readonly FamilyPart[], scrape: Float64Array): void {
    if (this.n === this.capacity) this.growTo(this.capacity * 2);
    const row = this.n;
    this.times[row] = t;
    this.layouts[row] = layoutId;
    this.scrapes[row] = scrape.slice();
    for (const part of plan) {
      let columns = this.families.get(part.family);
      if (!columns) {
        columns = new FamilyColumns(part.keys, this.capacity);
        this.families.set(part.family, columns);
      }
      columns.write(row, layoutId, part, scrape);
    }
    if (this.families.size > plan.length) {
      for (const columns of this.families.values()) if (columns.lastRow !== row) columns.absent(row);
    }
    this.n++;
  }

  /** Rows not stored yet. */
  get pending(): boolean {
    return (this.stored.at(-1)?.to ?? 0) < this.n;
  }

  /** Scrape `row`'s values in the order of its layout's keys (NaN where a series was stored as absent). */
  scrapeAt(row: number, plan: readonly FamilyPart[], size: number): Float64Array {
    const out = new Float64Array(size).fill(Number.NaN);
    for (const part of plan) {
      const columns = this.families.get(part.family);
      if (!columns) continue;
      part.keys.forEach((key, j) => {
        out[part.indices[j] as number] = columns.valueAt(row, key) ?? Number.NaN;
      });
    }
    return out;
  }

  private growTo(capacity: number): void {
    const times = new Float64Array(capacity);
    times.set(this.times);
    const layouts = new Uint32Array(capacity);
    layouts.set(this.layouts);
    this.times = times;
    this.layouts = layouts;
    for (const columns of this.families.values()) columns.grow(capacity, this.n);
    this.capacity = capacity;
  }
}
