// The previous release's embedded metrics code (before issue 15: one row per scrape, every series in it),
// kept as it was, apart from import paths, as the reference the chunked store is tested and measured against.
import type { Db } from '../../../src/store/database.ts';

export interface Target {
  id: number;
  name: string;
  deployment: string;
  url: string;
}

/** Rows of one target over a range: times (unix s) and, per wanted series, its values at those times (NaN where absent). */
export interface TargetSamples {
  target: Target;
  times: number[];
  series: Map<string, Float64Array>;
}

/**
 * The embedded time-series store on SQLite: one row per target per scrape. Series layouts
 * are stored once and referenced, so a scrape writes a single small row.
 */
export class MetricStore {
  private readonly schemaCache = new Map<number, { id: number; signature: string }>();
  private readonly schemaKeys = new Map<number, string[]>();

  constructor(private readonly db: Db) {}

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
    const schemaId = this.schemaFor(targetId, keys);
    this.db
      .prepare('INSERT OR REPLACE INTO metric_snapshots (target_id, t, schema_id, vals) VALUES (?, ?, ?, ?)')
      .run(targetId, Math.round(t * 1000), schemaId, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }

  /** Runs `write` in one transaction: bulk loads (the back-fill) are an order of magnitude faster this way. */
  batch(write: () => void): void {
    this.db.transaction(write)();
  }

  /** Series keys of the target's latest scrape: what the server exposes now. */
  latestKeys(targetId: number): string[] {
    const row = this.db
      .prepare('SELECT schema_id FROM metric_snapshots WHERE target_id = ? ORDER BY t DESC LIMIT 1')
      .get(targetId) as { schema_id: number } | undefined;
    return row ? this.keysOf(row.schema_id) : [];
  }

  /** The earliest and latest scrape times of a target, or undefined when it has none. */
  extent(targetId: number): { first: number; last: number } | undefined {
    const row = this.db
      .prepare('SELECT MIN(t) AS first, MAX(t) AS last FROM metric_snapshots WHERE target_id = ?')
      .get(targetId) as {
      first: number | null;
      last: number | null;
    };
    return row.first === null || row.last === null ? undefined : { first: row.first / 1000, last: row.last / 1000 };
  }

  /** Samples of the wanted series of a target between two times (inclusive). */
  read(target: Target, start: number, end: number, wanted: (key: string) => boolean): TargetSamples {
    const rows = this.db
      .prepare('SELECT t, schema_id, vals FROM metric_snapshots WHERE target_id = ? AND t BETWEEN ? AND ? ORDER BY t')
      .all(target.id, Math.floor(start * 1000), Math.ceil(end * 1000)) as Array<{ t: number; schema_id: number; vals: Buffer }>;
    const series = new Map<string, Float64Array>();
    const indexCache = new Map<number, Array<[string, number]>>();
    rows.forEach((row, rowIndex) => {
      let picks = indexCache.get(row.schema_id);
      if (!picks) {
        picks = this.keysOf(row.schema_id)
          .map((key, index) => [key, index] as [string, number])
          .filter(([key]) => wanted(key));
        indexCache.set(row.schema_id, picks);
      }
      const view = new DataView(row.vals.buffer, row.vals.byteOffset, row.vals.byteLength);
      for (const [key, index] of picks) {
        let column = series.get(key);
        if (!column) {
          column = new Float64Array(rows.length).fill(Number.NaN);
          series.set(key, column);
        }
        column[rowIndex] = view.getFloat64(index * 8, true);
      }
    });
    return { target, times: rows.map((row) => row.t / 1000), series };
  }

  /** Deletes samples older than `before` (unix s); returns how many scrapes were removed. */
  prune(before: number): number {
    return this.db.prepare('DELETE FROM metric_snapshots WHERE t < ?').run(Math.floor(before * 1000)).changes;
  }

  private schemaFor(targetId: number, keys: readonly string[]): number {
    const signature = keys.join('\n');
    const cached = this.schemaCache.get(targetId);
    if (cached?.signature === signature) return cached.id;
    const existing = this.db
      .prepare('SELECT id FROM metric_schemas WHERE target_id = ? AND series = ? ORDER BY id DESC LIMIT 1')
      .get(targetId, JSON.stringify(keys)) as { id: number } | undefined;
    const id =
      existing?.id ??
      Number(
        this.db.prepare('INSERT INTO metric_schemas (target_id, series) VALUES (?, ?)').run(targetId, JSON.stringify(keys))
          .lastInsertRowid,
      );
    this.schemaCache.set(targetId, { id, signature });
    return id;
  }

  private keysOf(schemaId: number): string[] {
    let keys = this.schemaKeys.get(schemaId);
    if (!keys) {
      const row = this.db.prepare('SELECT series FROM metric_schemas WHERE id = ?').get(schemaId) as { series: string };
      keys = JSON.parse(row.series) as string[];
      this.schemaKeys.set(schemaId, keys);
    }
    return keys;
  }
}
