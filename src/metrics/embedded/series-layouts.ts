import type { Db } from '../../store/database.ts';
import { familyOf } from './chunk-format.ts';

/** The series of one family within a scrape's layout, and where their values sit in the scrape. */
export interface FamilyPart {
  family: string;
  keys: string[];
  indices: Int32Array;
}

/**
 * Ordered lists of series keys (`metric_schemas` rows), stored once and referenced by id:
 * the layout of each scrape, and the keyset of each family's values in a chunk. Lists
 * never change once written, so they are cached for the life of the process.
 */
export class SeriesLayouts {
  private readonly keysById = new Map<number, string[]>();
  private readonly idBySignature = new Map<string, number>();
  private readonly plans = new Map<number, FamilyPart[]>();
  private readonly lastOfTarget = new Map<number, { keys: readonly string[]; id: number }>();

  constructor(private readonly db: Db) {}

  /** The id of a scrape's layout; a target's scrapes mostly repeat the previous layout, which is checked first. */
  scrapeLayout(targetId: number, keys: readonly string[]): number {
    const last = this.lastOfTarget.get(targetId);
    if (last && (last.keys === keys || sameKeys(last.keys, keys))) return last.id;
    const id = this.idFor(targetId, keys);
    this.lastOfTarget.set(targetId, { keys: [...keys], id });
    return id;
  }

  /** The id of an ordered key list of a target, stored on first use. */
  idFor(targetId: number, keys: readonly string[]): number {
    const json = JSON.stringify(keys);
    const signature = `${targetId}\n${json}`;
    const cached = this.idBySignature.get(signature);
    if (cached !== undefined) return cached;
    const existing = this.db
      .prepare('SELECT id FROM metric_schemas WHERE target_id = ? AND series = ? ORDER BY id DESC LIMIT 1')
      .get(targetId, json) as { id: number } | undefined;
    const id =
      existing?.id ??
      Number(this.db.prepare('INSERT INTO metric_schemas (target_id, series) VALUES (?, ?)').run(targetId, json).lastInsertRowid);
    this.idBySignature.set(signature, id);
    this.keysById.set(id, [...keys]);
    return id;
  }

  keysOf(id: number): string[] {
    let keys = this.keysById.get(id);
    if (!keys) {
      const row = this.db.prepare('SELECT series FROM metric_schemas WHERE id = ?').get(id) as { series: string } | undefined;
      if (!row) throw new Error(`metric_schemas has no layout ${id}`);
      keys = JSON.parse(row.series) as string[];
      this.keysById.set(id, keys);
    }
    return keys;
  }

  /** A layout's keys grouped by family, families in the order of their first key. */
  planOf(id: number): FamilyPart[] {
    let plan = this.plans.get(id);
    if (!plan) {
      const byFamily = new Map<string, { keys: string[]; indices: number[] }>();
      this.keysOf(id).forEach((key, index) => {
        const family = familyOf(key);
        let part = byFamily.get(family);
        if (!part) {
          part = { keys: [], indices: [] };
          byFamily.set(family, part);
        }
        part.keys.push(key);
        part.indices.push(index);
      });
      plan = [...byFamily].map(([family, part]) => ({ family, keys: part.keys, indices: Int32Array.from(part.indices) }));
      this.plans.set(id, plan);
    }
    return plan;
  }

  /** Forgets ids learnt since a transaction that was rolled back may have inserted them. */
  forgetUnsaved(): void {
    // An id rolled back may be given to another list later, so nothing learnt is kept.
    this.idBySignature.clear();
    this.lastOfTarget.clear();
    this.keysById.clear();
    this.plans.clear();
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
