import type Database from 'better-sqlite3';
import type { Db } from '../../store/database.ts';
import {
  blobOf,
  CHUNK_MAX_SPAN_MS,
  CHUNK_PIECE_SAMPLES,
  CHUNK_SAMPLES,
  decodeLayouts,
  decodeTimes,
  encodeLayouts,
  encodeTimes,
  float64s,
  WHOLE_SCRAPES,
} from './chunk-format.ts';
import { FamilyColumns, OpenChunk } from './open-chunk.ts';
import type { SeriesLayouts } from './series-layouts.ts';

/** A `metric_chunks` row. */
export interface ChunkRow {
  t0: number;
  t1: number;
  n: number;
  times: Buffer;
  schemas: Buffer;
  families: string;
}

/**
 * Writes scrapes into chunks. Each target's open chunk is kept in memory and stored as it
 * grows, in pieces of up to CHUNK_PIECE_SAMPLES scrapes (an append rewrites only the last
 * piece, a few kilobytes); when it holds CHUNK_SAMPLES scrapes its pieces are merged into
 * one chunk. Outside a batch a scrape is stored when `append` returns; inside one, chunks
 * are written when full and at the batch's end. A scrape at or before the target's latest
 * goes into the chunk that covers its time, which is rewritten. One writer per database (the
 * process that scrapes, by leadership), since it keeps the open chunks in memory; readers may be many.
 */
export class ChunkWriter {
  /** Per target: its open chunk, null when its latest chunk is sealed (or it has none); absent until loaded. */
  private readonly open = new Map<number, OpenChunk | null>();
  private readonly latest = new Map<number, number>();
  /** Batches running: their appends stay in memory until the chunk is full or the outermost batch ends. */
  private batches = 0;
  private inTransaction = false;
  private readonly inOneTransaction: (work: () => void) => void;
  private readonly statements: {
    latestChunks: Database.Statement;
    chunkAtOrBefore: Database.Statement;
    firstChunk: Database.Statement;
    familyValues: Database.Statement;
    putChunk: Database.Statement;
    putValues: Database.Statement;
    dropChunk: Database.Statement;
    dropValues: Database.Statement;
  };

  constructor(
    private readonly db: Db,
    private readonly layouts: SeriesLayouts,
  ) {
    this.inOneTransaction = db.transaction((work: () => void) => work());
    const columns = 't0, t1, n, times, schemas, families';
    this.statements = {
      latestChunks: db.prepare(`SELECT ${columns} FROM metric_chunks WHERE target_id = ? ORDER BY t0 DESC LIMIT ?`),
      chunkAtOrBefore: db.prepare(
        `SELECT ${columns} FROM metric_chunks WHERE target_id = ? AND t0 <= ? ORDER BY t0 DESC LIMIT 1`,
      ),
      firstChunk: db.prepare(`SELECT ${columns} FROM metric_chunks WHERE target_id = ? ORDER BY t0 LIMIT 1`),
      familyValues: db.prepare('SELECT keyset_id, vals FROM metric_chunk_values WHERE target_id = ? AND family = ? AND t0 = ?'),
      putChunk: db.prepare(
        'INSERT OR REPLACE INTO metric_chunks (target_id, t0, t1, n, times, schemas, families) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      putValues: db.prepare(
        'INSERT OR REPLACE INTO metric_chunk_values (target_id, family, t0, keyset_id, vals) VALUES (?, ?, ?, ?, ?)',
      ),
      dropChunk: db.prepare('DELETE FROM metric_chunks WHERE target_id = ? AND t0 = ?'),
      dropValues: db.prepare('DELETE FROM metric_chunk_values WHERE target_id = ? AND family = ? AND t0 = ?'),
    };
  }

  /** Stores scrape `t` (unix ms) of a target: `scrape[i]` is the value of the layout's i-th key. */
  append(targetId: number, t: number, layoutId: number, scrape: Float64Array): void {
    this.transaction(() => {
      let chunk = this.openChunk(targetId);
      const latest = this.latest.get(targetId);
      if (latest !== undefined && t <= latest) {
        this.insertPast(targetId, t, layoutId, scrape);
        return;
      }
      if (chunk && t - (chunk.times[0] as number) > CHUNK_MAX_SPAN_MS) {
        this.seal(targetId, chunk);
        chunk = undefined;
      }
      if (!chunk) {
        chunk = new OpenChunk();
        this.open.set(targetId, chunk);
      }
      chunk.add(t, layoutId, this.layouts.planOf(layoutId), scrape);
      this.latest.set(targetId, t);
      if (chunk.n >= CHUNK_SAMPLES) {
        this.seal(targetId, chunk);
        this.open.set(targetId, null);
      } else if (this.batches === 0) this.persist(targetId, chunk);
    });
  }

  /** Runs `write` in one transaction, writing chunks when full and at the end: bulk loads go an order of magnitude faster. */
  batch(write: () => void): void {
    this.transaction(() => {
      this.batches++;
      try {
        write();
      } finally {
        this.batches--;
      }
      if (this.batches === 0) this.persistAll();
    });
  }

  /** Writes what a running batch holds in memory, so that reads see it. */
  settle(): void {
    if ([...this.open.values()].some((chunk) => chunk?.pending)) this.transaction(() => this.persistAll());
  }

  /** Deletes scrapes before `before` (unix ms); returns how many were removed. */
  prune(before: number): number {
    let removed = 0;
    this.transaction(() => {
      this.persistAll();
      const targets = this.db.prepare('SELECT DISTINCT target_id AS id FROM metric_chunks WHERE t0 < ?').all(before) as Array<{
        id: number;
      }>;
      for (const { id } of targets) {
        const old = this.db
          .prepare('SELECT t0, t1, n, times, schemas, families FROM metric_chunks WHERE target_id = ? AND t0 < ? ORDER BY t0')
          .all(id, before) as ChunkRow[];
        for (const row of old) {
          if (row.t1 < before) {
            this.drop(id, row.t0, JSON.parse(row.families) as string[]);
            removed += row.n;
            continue;
          }
          // The chunk that straddles the cut keeps its later scrapes.
          const chunk = this.load(id, row);
          const kept = this.rebuild(chunk, (t) => t >= before);
          removed += chunk.n - kept.n;
          this.rewrite(id, kept, row);
        }
        this.open.delete(id);
        this.latest.delete(id);
      }
    });
    return removed;
  }

  /** Forgets what is held in memory, after a transaction that wrote it was rolled back. */
  forget(): void {
    this.open.clear();
    this.latest.clear();
  }

  /** Runs `work` in a transaction (or the one already running); a rollback also forgets what memory held. */
  private transaction(work: () => void): void {
    if (this.inTransaction) {
      work();
      return;
    }
    this.inTransaction = true;
    try {
      this.inOneTransaction(work);
    } catch (error) {
      this.forget();
      this.layouts.forgetUnsaved();
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  private persistAll(): void {
    for (const [targetId, chunk] of this.open) if (chunk?.pending) this.persist(targetId, chunk);
  }

  /** Stores the rows of an open chunk not stored yet: into its last piece while that is small, else as a new piece. */
  private persist(targetId: number, chunk: OpenChunk): void {
    const last = chunk.stored.at(-1);
    if (last && last.to - last.from < CHUNK_PIECE_SAMPLES && last.families[0] === WHOLE_SCRAPES) {
      this.writeWhole(targetId, chunk, last.from, chunk.n);
      last.to = chunk.n;
    } else {
      const from = last?.to ?? 0;
      this.writeWhole(targetId, chunk, from, chunk.n);
      chunk.stored.push({ t0: chunk.times[from] as number, from, to: chunk.n, families: [WHOLE_SCRAPES] });
    }
  }

  /** Stores a chunk as one row per family, in place of the pieces it was stored in so far. */
  private seal(targetId: number, chunk: OpenChunk): void {
    for (const piece of chunk.stored) this.drop(targetId, piece.t0, piece.families);
    this.writeRows(targetId, chunk, 0, chunk.n);
    chunk.stored = [{ t0: chunk.times[0] as number, from: 0, to: chunk.n, families: [...chunk.families.keys()] }];
  }

  /** Writes a chunk rebuilt from the stored row `was`, in its place. */
  private rewrite(targetId: number, chunk: OpenChunk, was: Pick<ChunkRow, 't0' | 'families'>): void {
    this.drop(targetId, was.t0, JSON.parse(was.families) as string[]);
    if (chunk.n > 0) this.writeRows(targetId, chunk, 0, chunk.n);
  }

  /** The chunk row of rows [from, to): their times, layouts and the families stored for them; returns its key time. */
  private putChunkRow(targetId: number, chunk: OpenChunk, from: number, to: number, families: string[]): number {
    const t0 = chunk.times[from] as number;
    const n = to - from;
    this.statements.putChunk.run(
      targetId,
      t0,
      chunk.times[to - 1],
      n,
      encodeTimes(chunk.times.subarray(from, to), n),
      encodeLayouts(chunk.layouts.subarray(from, to), n),
      JSON.stringify(families),
    );
    return t0;
  }

  /** Writes rows [from, to) of a chunk in memory as a piece: the chunk row and one row of whole scrapes. */
  private writeWhole(targetId: number, chunk: OpenChunk, from: number, to: number): void {
    const t0 = this.putChunkRow(targetId, chunk, from, to, [WHOLE_SCRAPES]);
    const scrapes = chunk.scrapes.slice(from, to);
    const values = new Float64Array(scrapes.reduce((sum, scrape) => sum + scrape.length, 0));
    let at = 0;
    for (const scrape of scrapes) {
      values.set(scrape, at);
      at += scrape.length;
    }
    this.statements.putValues.run(targetId, WHOLE_SCRAPES, t0, chunk.layouts[from], blobOf(values, values.length));
  }

  /** Writes rows [from, to) of a chunk in memory as the chunk row keyed by their first time. */
  private writeRows(targetId: number, chunk: OpenChunk, from: number, to: number): void {
    const t0 = this.putChunkRow(targetId, chunk, from, to, [...chunk.families.keys()]);
    for (const [family, columns] of chunk.families) {
      const k = columns.keys.length;
      columns.keysetId ??= this.layouts.idFor(targetId, columns.keys);
      this.statements.putValues.run(
        targetId,
        family,
        t0,
        columns.keysetId,
        blobOf(columns.values.subarray(from * k), (to - from) * k),
      );
    }
  }

  private drop(targetId: number, t0: number, families: readonly string[]): void {
    for (const family of families) this.statements.dropValues.run(targetId, family, t0);
    this.statements.dropChunk.run(targetId, t0);
  }

  /**
   * The target's open chunk, loaded the first time: its stored pieces (the latest chunks
   * that together hold fewer than CHUNK_SAMPLES scrapes). Undefined when the latest is sealed.
   */
  private openChunk(targetId: number): OpenChunk | undefined {
    const known = this.open.get(targetId);
    if (known !== undefined) return known ?? undefined;
    const latest = this.statements.latestChunks.all(targetId, CHUNK_SAMPLES) as ChunkRow[];
    const pieces: ChunkRow[] = [];
    let total = 0;
    for (const row of latest) {
      if (total + row.n >= CHUNK_SAMPLES || (latest[0] as ChunkRow).t1 - row.t0 > CHUNK_MAX_SPAN_MS) break;
      pieces.unshift(row);
      total += row.n;
    }
    if (latest[0]) this.latest.set(targetId, latest[0].t1);
    let chunk: OpenChunk | null = null;
    if (pieces.length > 0) {
      chunk = new OpenChunk();
      for (const row of pieces) {
        const from = chunk.n;
        const piece = this.load(targetId, row);
        for (let i = 0; i < piece.n; i++) this.copyRow(piece, i, chunk);
        chunk.stored.push({ t0: row.t0, from, to: chunk.n, families: JSON.parse(row.families) as string[] });
      }
    }
    this.open.set(targetId, chunk);
    return chunk ?? undefined;
  }

  /** A stored chunk (a piece of whole scrapes or one row per family) in memory, with room for one more scrape. */
  private load(targetId: number, row: ChunkRow): OpenChunk {
    const chunk = new OpenChunk(Math.max(CHUNK_SAMPLES, row.n + 1));
    const families = JSON.parse(row.families) as string[];
    const times = decodeTimes(row.times, row.t0);
    const layouts = decodeLayouts(row.schemas, row.n);
    if (families.includes(WHOLE_SCRAPES)) {
      const stored = this.statements.familyValues.get(targetId, WHOLE_SCRAPES, row.t0) as { vals: Buffer } | undefined;
      const values = stored ? float64s(stored.vals) : new Float64Array(0);
      for (let i = 0, at = 0; i < row.n; i++) {
        const layoutId = layouts[i] as number;
        const size = this.layouts.keysOf(layoutId).length;
        const scrape = new Float64Array(size).fill(Number.NaN);
        scrape.set(values.subarray(at, Math.min(at + size, values.length)));
        chunk.add(times[i] as number, layoutId, this.layouts.planOf(layoutId), scrape);
        at += size;
      }
    } else {
      chunk.times.set(times.subarray(0, row.n));
      chunk.layouts.set(layouts);
      chunk.n = row.n;
      const capacity = chunk.times.length;
      for (const family of families) {
        const stored = this.statements.familyValues.get(targetId, family, row.t0) as
          | { keyset_id: number; vals: Buffer }
          | undefined;
        if (!stored) continue;
        chunk.families.set(
          family,
          new FamilyColumns(this.layouts.keysOf(stored.keyset_id), capacity, stored.keyset_id, float64s(stored.vals)),
        );
      }
      for (let i = 0; i < row.n; i++) {
        const plan = this.layouts.planOf(layouts[i] as number);
        chunk.scrapes[i] = chunk.scrapeAt(i, plan, this.layouts.keysOf(layouts[i] as number).length);
      }
    }
    chunk.stored = [{ t0: row.t0, from: 0, to: row.n, families }];
    return chunk;
  }

  /**
   * A scrape at or before the latest: it joins (or replaces the scrape at the same time in) the
   * chunk covering its time, or the first chunk when it is older than all; it starts a chunk of
   * its own where joining would stretch one past CHUNK_MAX_SPAN_MS.
   */
  private insertPast(targetId: number, t: number, layoutId: number, scrape: Float64Array): void {
    this.persistAll();
    const row = (this.statements.chunkAtOrBefore.get(targetId, t) ?? this.statements.firstChunk.get(targetId)) as ChunkRow;
    if (Math.max(row.t1, t) - Math.min(row.t0, t) > CHUNK_MAX_SPAN_MS) {
      const own = new OpenChunk();
      own.add(t, layoutId, this.layouts.planOf(layoutId), scrape);
      this.writeRows(targetId, own, 0, 1);
    } else {
      const chunk = this.load(targetId, row);
      this.rewrite(
        targetId,
        this.rebuild(chunk, (at) => at !== t, { t, layoutId, scrape }),
        row,
      );
    }
    // The open chunk may have been the one rewritten: it is loaded again when next needed.
    this.open.delete(targetId);
  }

  /** A copy of `chunk` with the scrapes that `keep` accepts, and `extra` put in time order. */
  private rebuild(chunk: OpenChunk, keep: (t: number) => boolean, extra?: { t: number; layoutId: number; scrape: Float64Array }) {
    const out = new OpenChunk(Math.max(CHUNK_SAMPLES, chunk.n + 1));
    let pending = extra;
    for (let row = 0; row < chunk.n; row++) {
      const t = chunk.times[row] as number;
      if (pending && pending.t < t) {
        out.add(pending.t, pending.layoutId, this.layouts.planOf(pending.layoutId), pending.scrape);
        pending = undefined;
      }
      if (keep(t)) this.copyRow(chunk, row, out);
    }
    if (pending) out.add(pending.t, pending.layoutId, this.layouts.planOf(pending.layoutId), pending.scrape);
    return out;
  }

  private copyRow(from: OpenChunk, row: number, to: OpenChunk): void {
    const layoutId = from.layouts[row] as number;
    to.add(from.times[row] as number, layoutId, this.layouts.planOf(layoutId), from.scrapes[row] as Float64Array);
  }
}
