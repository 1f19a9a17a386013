import type Database from 'better-sqlite3';
import type { Db } from '../../store/database.ts';
import { familyOf, float64s, layoutRuns, uint32s, WHOLE_SCRAPES } from './chunk-format.ts';
import type { SeriesLayouts } from './series-layouts.ts';

/** Rows of one target over a range: times (unix s) and, per wanted series, its values at those times (NaN where absent). */
export interface ChunkSamples {
  times: Float64Array;
  series: Map<string, Float64Array>;
}

interface ChunkHeader {
  t0: number;
  t1: number;
  n: number;
  times: Buffer;
  schemas: Buffer;
  families?: string;
}

/**
 * Reads a target's samples from its chunks: only the families asked for, only the scrapes in
 * the range. Series come in the order they first appear in the range's scrapes, as they did
 * when every scrape was one row, so sums over series add up in the same order.
 */
export class ChunkReader {
  private readonly headers: Database.Statement;
  private readonly headersWithFamilies: Database.Statement;
  private readonly values: Database.Statement;
  private readonly wholeScrapes: Database.Statement;

  constructor(
    db: Db,
    private readonly layouts: SeriesLayouts,
  ) {
    // From the chunk that starts at or before `from` (it may hold scrapes after `from`) to the last that starts by `to`.
    const headers = (columns: string) =>
      db.prepare(
        `SELECT ${columns} FROM metric_chunks
         WHERE target_id = @target AND t0 >= coalesce((SELECT max(t0) FROM metric_chunks WHERE target_id = @target AND t0 <= @from), @from)
           AND t0 <= @to
         ORDER BY t0`,
      );
    // The families column comes last and is only read when needed: a long list may lie in an overflow page.
    this.headers = headers('t0, t1, n, times, schemas');
    this.headersWithFamilies = headers('t0, t1, n, times, schemas, families');
    this.values = db
      .prepare(
        'SELECT t0, keyset_id, vals FROM metric_chunk_values WHERE target_id = ? AND family = ? AND t0 >= ? AND t0 <= ? ORDER BY t0',
      )
      .raw();
    this.wholeScrapes = db
      .prepare(
        `SELECT t0, vals FROM metric_chunk_values WHERE target_id = ? AND family = '${WHOLE_SCRAPES}' AND t0 >= ? AND t0 <= ? ORDER BY t0`,
      )
      .raw();
  }

  /**
   * Samples of the wanted series of a target with times in [from, to] (unix ms). With
   * `families`, only those families are read and series of other families are not returned.
   */
  read(targetId: number, from: number, to: number, wanted: (key: string) => boolean, families?: readonly string[]): ChunkSamples {
    const headers = (families ? this.headers : this.headersWithFamilies).all({ target: targetId, from, to }) as ChunkHeader[];
    if (headers.length === 0) return { times: new Float64Array(0), series: new Map() };
    const only = families ? new Set(families) : undefined;
    const toRead = (
      families ?? [...new Set(headers.flatMap((header) => JSON.parse(header.families ?? '[]') as string[]))]
    ).filter((family) => family !== WHOLE_SCRAPES);

    // The scrapes in range, and the series in the order of their first appearance.
    const slots = new Map<string, number>();
    const seen = new Set<number>();
    const ranges: Array<{ t0: number; offsets: Uint32Array; runs: Uint32Array; first: number; end: number; offset: number }> = [];
    let total = 0;
    for (const header of headers) {
      const offsets = uint32s(header.times);
      let first = 0;
      let end = header.n;
      // Only the chunks at the range's ends are partly in it.
      if (header.t0 < from) while (first < header.n && header.t0 + (offsets[first] as number) < from) first++;
      if (header.t1 > to) {
        end = first;
        while (end < header.n && header.t0 + (offsets[end] as number) <= to) end++;
      }
      if (end === first) continue;
      const runs = layoutRuns(header.schemas);
      ranges.push({ t0: header.t0, offsets, runs, first, end, offset: total });
      total += end - first;
      for (let r = 0, at = 0; r + 1 < runs.length; at += runs[r] as number, r += 2) {
        const layout = runs[r + 1] as number;
        // A run counts when it has a scrape in range.
        if (at + (runs[r] as number) <= first || at >= end || seen.has(layout)) continue;
        seen.add(layout);
        for (const key of this.layouts.keysOf(layout)) {
          if (!slots.has(key) && wanted(key) && (!only || only.has(familyOf(key)))) slots.set(key, slots.size);
        }
      }
    }
    const times = new Float64Array(total);
    for (const range of ranges) {
      for (let i = range.first, at = range.offset; i < range.end; i++, at++) {
        times[at] = (range.t0 + (range.offsets[i] as number)) / 1000;
      }
    }

    const columns = [...slots.keys()].map(() => new Float64Array(total).fill(Number.NaN));
    if (ranges.length > 0) {
      const lo = (ranges[0] as { t0: number }).t0;
      const hi = (ranges.at(-1) as { t0: number }).t0;
      const slotsOf = new Map<number, Int32Array>();
      for (const family of toRead) {
        // Rows come in t0 order, as the ranges do; a chunk may lack a family (its scrapes then lacked it).
        const rows = this.values.all(targetId, family, lo, hi) as Array<[number, number, Buffer]>;
        let next = 0;
        for (const range of ranges) {
          while (next < rows.length && (rows[next] as [number, number, Buffer])[0] < range.t0) next++;
          const row = rows[next];
          if (!row || row[0] !== range.t0) continue;
          const [, keysetId, blob] = row;
          let keySlots = slotsOf.get(keysetId);
          if (!keySlots) {
            keySlots = Int32Array.from(this.layouts.keysOf(keysetId), (key) => slots.get(key) ?? -1);
            slotsOf.set(keysetId, keySlots);
          }
          const vals = float64s(blob);
          const k = keySlots.length;
          for (let j = 0; j < k; j++) {
            const slot = keySlots[j] as number;
            if (slot < 0) continue;
            const column = columns[slot] as Float64Array;
            for (let i = range.first, at = range.offset; i < range.end; i++, at++) column[at] = vals[i * k + j] as number;
          }
        }
      }
      // The open chunk's pieces hold whole scrapes, each in its layout's order.
      const slotsOfLayout = new Map<number, Int32Array>();
      for (const [t0, blob] of this.wholeScrapes.all(targetId, lo, hi) as Array<[number, Buffer]>) {
        const range = ranges.find((r) => r.t0 === t0);
        if (!range) continue;
        const vals = float64s(blob);
        let at = 0;
        for (let r = 0, i = 0; r + 1 < range.runs.length; r += 2) {
          const layout = range.runs[r + 1] as number;
          let keySlots = slotsOfLayout.get(layout);
          if (!keySlots) {
            keySlots = Int32Array.from(this.layouts.keysOf(layout), (key) => slots.get(key) ?? -1);
            slotsOfLayout.set(layout, keySlots);
          }
          for (const stop = i + (range.runs[r] as number); i < stop; i++, at += keySlots.length) {
            if (i < range.first || i >= range.end) continue;
            for (let j = 0; j < keySlots.length; j++) {
              const slot = keySlots[j] as number;
              if (slot >= 0) (columns[slot] as Float64Array)[range.offset + i - range.first] = vals[at + j] as number;
            }
          }
        }
      }
    }
    const series = new Map<string, Float64Array>();
    for (const [key, slot] of slots) series.set(key, columns[slot] as Float64Array);
    return { times, series };
  }
}
