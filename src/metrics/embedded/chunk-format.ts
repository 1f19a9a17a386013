/**
 * How the embedded store lays samples out on disk. A target's scrapes are cut into chunks
 * of up to CHUNK_SAMPLES scrapes; a chunk's row in `metric_chunks` holds the scrape times
 * and the series layout (schema) of each scrape, and one row per metric family in
 * `metric_chunk_values` holds that family's values, so a query reads only the family it asks for.
 * Rows are kept under a kilobyte where they can be, because SQLite moves the rest of a larger
 * row of a WITHOUT ROWID table to overflow pages, and reading those doubles a scan's cost.
 */

/**
 * Scrapes per chunk, as Prometheus aims for 120 samples per chunk: 2 h at the default 60 s
 * interval, 30 min at 15 s. 112 keeps a one-series family's row (896 bytes of values) in its page.
 */
export const CHUNK_SAMPLES = 112;

/**
 * Until a chunk is full it is stored in pieces of this many scrapes, each piece one row of
 * whole scrapes (family WHOLE_SCRAPES), so that storing a scrape rewrites a few pages, not a
 * row per family; when the chunk is full its pieces become one row per family.
 */
export const CHUNK_PIECE_SAMPLES = 16;

/**
 * The family name of a piece's row of whole scrapes: each scrape's values in its layout's
 * order, one scrape after the other (its keyset_id is the first scrape's layout).
 */
export const WHOLE_SCRAPES = '';

/** A chunk spans at most this long (its times are stored as uint32 milliseconds after its first). */
export const CHUNK_MAX_SPAN_MS = 7 * 86_400_000;

/**
 * The family a series is stored with: its sample name, without a histogram's `_bucket`,
 * `_sum` or `_count` suffix, so a histogram's series are read together.
 */
export function familyOf(key: string): string {
  const brace = key.indexOf('{');
  const name = brace < 0 ? key : key.slice(0, brace);
  return name.replace(/_(bucket|sum|count)$/, '');
}

/** A blob as float64s (little-endian, as written); copied only when SQLite's buffer is not 8-byte aligned. */
export function float64s(blob: Buffer): Float64Array {
  if (blob.byteLength % 8 !== 0) throw new Error(`a float64 blob of ${blob.byteLength} bytes is not a whole number of values`);
  if (blob.byteOffset % 8 === 0) return new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8);
  const copy = new Float64Array(blob.byteLength / 8);
  new Uint8Array(copy.buffer).set(blob);
  return copy;
}

/** A blob as uint32s, copied only when unaligned. */
export function uint32s(blob: Buffer): Uint32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`a uint32 blob of ${blob.byteLength} bytes is not a whole number of values`);
  if (blob.byteOffset % 4 === 0) return new Uint32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  const copy = new Uint32Array(blob.byteLength / 4);
  new Uint8Array(copy.buffer).set(blob);
  return copy;
}

/** Scrape times (unix ms) as uint32 milliseconds after the first: 4 bytes a scrape. */
export function encodeTimes(times: Float64Array, n: number): Buffer {
  const t0 = times[0] as number;
  const offsets = new Uint32Array(n);
  for (let i = 0; i < n; i++) offsets[i] = (times[i] as number) - t0;
  return blobOf(offsets, n);
}

/** The scrape times of a chunk stored under `t0`, as unix ms. */
export function decodeTimes(blob: Buffer, t0: number): Float64Array {
  const offsets = uint32s(blob);
  const times = new Float64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) times[i] = t0 + (offsets[i] as number);
  return times;
}

/** Each scrape's layout id, run-length encoded as (count, id) pairs: a target's layout rarely changes. */
export function encodeLayouts(layouts: Uint32Array, n: number): Buffer {
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (runs.length > 0 && runs.at(-1) === layouts[i]) runs[runs.length - 2] = (runs.at(-2) as number) + 1;
    else runs.push(1, layouts[i] as number);
  }
  return blobOf(Uint32Array.from(runs), runs.length);
}

/** The (count, id) runs of a chunk's layouts. */
export function layoutRuns(blob: Buffer): Uint32Array {
  return uint32s(blob);
}

/** Each scrape's layout id from its runs. */
export function decodeLayouts(blob: Buffer, n: number): Uint32Array {
  const runs = uint32s(blob);
  const layouts = new Uint32Array(n);
  let at = 0;
  for (let r = 0; r + 1 < runs.length; r += 2) {
    layouts.fill(runs[r + 1] as number, at, at + (runs[r] as number));
    at += runs[r] as number;
  }
  return layouts;
}

/** The first `length` entries of a typed array as a blob, without copying. */
export function blobOf(values: Float64Array | Uint32Array, length: number): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, length * values.BYTES_PER_ELEMENT);
}
