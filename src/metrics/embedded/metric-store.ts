import type Database from 'better-sqlite3';
import type { Db } from '../../store/database.ts';
import { layoutRuns } from './chunk-format.ts';
import { ChunkReader } from './chunk-reader.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { moveSnapshotsIntoChunks } from './legacy-snapshots.ts';
import { SeriesLayouts } from './series-layouts.ts';

export interface Target {
  id: number;
  name: string;
  deployment: string;
  url: string;
}

/** Rows of one target over a range: times (unix s) and, per wanted series, its values at those times (NaN where absent). */
export interface TargetSamples {
  target: Target;
  times: Float64Array;
  series: Map<string, Float64Array>;
}

/**
 * The embedded time-series store on SQLite. A target's scrapes are cut into chunks of up
 * to 120 scrapes, and each chunk's values are stored per metric family, so a query reads
 * only the family it asks for over the range it asks for (chunk-format.ts). A database
 * written by an earlier release (one row per scrape) is moved into chunks when opened.
 */
export class MetricStore {
  private readonly layouts: SeriesLayouts;
  private readonly writer: ChunkWriter;
  private readonly reader: ChunkReader;
  private readonly statements: {
    latestChunk: Database.Statement;
    firstChunk: Database.Statement;
  };

  constructor(private readonly db: Db) {
    this.layouts = new SeriesLayouts(db);
    this.writer = new ChunkWriter(db, this.layouts);
    this.reader = new ChunkReader(db, this.layouts);
    this.statements = {
      latestChunk: db.prepare('SELECT t1, n, schemas FROM metric_chunks WHERE target_id = ? ORDER BY t0 DESC LIMIT 1'),
      firstChunk: db.prepare('SELECT t0 FROM metric_chunks WHERE target_id = ? ORDER BY t0 LIMIT 1'),
    };
    moveSnapshotsIntoChunks(db, this.writer, this.layouts);
  }

  /** Registers (or updates the URL of) a scrape target; its identity is its name. */
  upsertTarget(name: string, deployment: string, url: string): Target {
    this.db
      .prepare(
        'INSERT INTO metric_targets (name, deployment, url) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url, deployment = excluded.deployment',
      )
      .run(name, deployment, url);
    return this.db.prepare('SELECT id, name, deployment, url FROM metric_targets WHERE name = ?').get(name) as Target;
  }

  targets(deployment?: string): Target[] {
    return deployment === undefined
      ? (this.db.prepare('SELECT id, name, deployment, url FROM metric_targets ORDER BY name').all() as Target[])
      : (this.db
          .prepare('SELECT id, name, deployment, url FROM metric_targets WHERE deployment = ? ORDER BY name')
          .all(deployment) as Target[]);
  }

  /** Stores one scrape at `t` (unix seconds, kept to the millisecond); `values[i]` belongs to `keys[i]`. */
  append(targetId: number, t: number, keys: readonly string[], values: Float64Array): void {
    if (values.length !== keys.length) {
      throw new Error(`a scrape of target ${targetId} has ${keys.length} series but ${values.length} values`);
    }
    this.writer.append(targetId, Math.round(t * 1000), this.layouts.scrapeLayout(targetId, keys), values);
  }

  /** Runs `write` in one transaction: bulk loads (the back-fill) are an order of magnitude faster this way. */
  batch(write: () => void): void {
    this.writer.batch(write);
  }

  /** Series keys of the target's latest scrape: what the server exposes now. */
  latestKeys(targetId: number): string[] {
    this.writer.settle();
    const row = this.statements.latestChunk.get(targetId) as { schemas: Buffer } | undefined;
    // The last (count, id) run is the latest scrape's.
    return row ? this.layouts.keysOf(layoutRuns(row.schemas).at(-1) as number) : [];
  }

  /** The earliest and latest scrape times of a target, or undefined when it has none. */
  extent(targetId: number): { first: number; last: number } | undefined {
    this.writer.settle();
    const last = this.statements.latestChunk.get(targetId) as { t1: number } | undefined;
    const first = this.statements.firstChunk.get(targetId) as { t0: number } | undefined;
    return first && last ? { first: first.t0 / 1000, last: last.t1 / 1000 } : undefined;
  }

  /**
   * Samples of the wanted series of a target between two times (unix s, inclusive). With
   * `families` (see familyOf), only those families are read: what a query should pass.
   */
  read(
    target: Target,
    start: number,
    end: number,
    wanted: (key: string) => boolean,
    families?: readonly string[],
  ): TargetSamples {
    this.writer.settle();
    const samples = this.reader.read(target.id, Math.floor(start * 1000), Math.ceil(end * 1000), wanted, families);
    return { target, ...samples };
  }

  /** Deletes samples older than `before` (unix s); returns how many scrapes were removed. */
  prune(before: number): number {
    return this.writer.prune(Math.floor(before * 1000));
  }
}
