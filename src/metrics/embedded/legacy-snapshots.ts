import type { Db } from '../../store/database.ts';
import type { ChunkWriter } from './chunk-writer.ts';
import type { SeriesLayouts } from './series-layouts.ts';

const PAGE = 4096;

/**
 * Moves the scrapes a release before issue 15 stored (`metric_snapshots`: one row per target
 * per scrape, every series in one blob) into chunks, target by target, each in one
 * transaction that also deletes the rows it moved: a failure leaves that target as it was.
 * Returns how many scrapes were moved.
 */
export function moveSnapshotsIntoChunks(db: Db, writer: ChunkWriter, layouts: SeriesLayouts): number {
  if (!db.prepare('SELECT 1 FROM metric_snapshots LIMIT 1').get()) return 0;
  const targets = db.prepare('SELECT id FROM metric_targets ORDER BY id').pluck().all() as number[];
  const page = db.prepare('SELECT t, schema_id, vals FROM metric_snapshots WHERE target_id = ? AND t > ? ORDER BY t LIMIT ?');
  const clear = db.prepare('DELETE FROM metric_snapshots WHERE target_id = ?');
  let moved = 0;
  for (const targetId of targets) {
    writer.batch(() => {
      let after = Number.NEGATIVE_INFINITY;
      for (;;) {
        const rows = page.all(targetId, after, PAGE) as Array<{ t: number; schema_id: number; vals: Buffer }>;
        for (const row of rows) {
          writer.append(targetId, row.t, row.schema_id, valuesOf(row.vals, layouts.keysOf(row.schema_id).length));
          after = row.t;
        }
        moved += rows.length;
        if (rows.length < PAGE) break;
      }
      clear.run(targetId);
    });
  }
  return moved;
}

/** A snapshot blob as one float64 per key of its layout (little-endian, as written); a short blob lacks its last series. */
function valuesOf(blob: Buffer, size: number): Float64Array {
  const out = new Float64Array(size).fill(Number.NaN);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < size && (i + 1) * 8 <= blob.byteLength; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
