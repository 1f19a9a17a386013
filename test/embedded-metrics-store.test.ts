import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_KINDS } from '../src/metrics/curated-metrics.ts';
import { familyOf } from '../src/metrics/embedded/chunk-format.ts';
import { EmbeddedSource } from '../src/metrics/embedded/embedded-source.ts';
import { MetricStore } from '../src/metrics/embedded/metric-store.ts';
import type { CuratedQuery, MetricsSource } from '../src/metrics/metrics-source.ts';
import { type Db, loadMigrations, migrate, openDatabase } from '../src/store/database.ts';
import { EmbeddedSource as PreviousSource } from './support/previous-embedded/embedded-source.ts';
import { MetricStore as PreviousStore } from './support/previous-embedded/metric-store.ts';
import { type Scrape, scrapeHistory } from './support/scrape-history.ts';

// The previous release's store (one row per scrape, every series in it) and its query code,
// kept verbatim in test/support/previous-embedded, are the reference: the chunked store must
// give the same answers to the last bit, for every curated kind, range and step.

const INTERVAL = 15;
const START = 1_767_000_000;
const SCRAPES = 900; // 3.75 h a target: several chunks of 112 scrapes, an hour's outage among them
const history = scrapeHistory({ seed: 11, start: START, scrapes: SCRAPES, intervalSeconds: INTERVAL });
const END = Math.max(...history.map((s) => s.t));

interface AnyStore {
  upsertTarget(name: string, deployment: string, url: string): { id: number };
  append(targetId: number, t: number, keys: readonly string[], values: Float64Array): void;
  batch(write: () => void): void;
}

/** Writes scrapes target by target (each in one batch, as the back-fill does) or one by one in time order (as the scraper does). */
function load(store: AnyStore, scrapes: readonly Scrape[], mode: 'batch' | 'live'): void {
  const ids = new Map<string, number>();
  for (const scrape of scrapes) {
    if (!ids.has(scrape.target)) ids.set(scrape.target, store.upsertTarget(scrape.target, scrape.deployment, 'http://x').id);
  }
  if (mode === 'live') {
    for (const scrape of [...scrapes].sort((a, b) => a.t - b.t))
      store.append(ids.get(scrape.target) as number, scrape.t, scrape.keys, scrape.values);
    return;
  }
  for (const [target, id] of ids) {
    store.batch(() => {
      for (const scrape of scrapes) if (scrape.target === target) store.append(id, scrape.t, scrape.keys, scrape.values);
    });
  }
}

/** Curated queries across kinds, deployments, ranges (aligned or not, partly outside the data) and steps. */
function queries(): CuratedQuery[] {
  const ranges: Array<[number, number]> = [
    [START, END],
    [START + 1234.567, END - 777.1],
    [START - 3600, START + 5400],
    [END - 600, END],
    [END - 7200, END + 900],
  ];
  const steps = [15, 45, 60, 300, 1000];
  const deployments = [undefined, 'llama', 'qwen'];
  const out: CuratedQuery[] = [];
  let turn = 0;
  // Every kind over every range, each time at two of the steps and for one of the deployments (or all), in turn.
  for (const kind of METRIC_KINDS) {
    for (const [from, to] of ranges) {
      for (let twice = 0; twice < 2; twice++, turn++) {
        out.push({
          kind,
          deployment: deployments[turn % deployments.length],
          start: new Date(from * 1000),
          end: new Date(to * 1000),
          stepSeconds: steps[turn % steps.length] as number,
          quantile: turn % 2 === 0 ? 0.9 : 0.5,
        });
      }
    }
  }
  return out;
}

async function answers(source: MetricsSource, list: readonly CuratedQuery[]) {
  const out: unknown[] = [];
  for (const query of list) {
    try {
      out.push(await source.curated(query));
    } catch (error) {
      out.push({ error: (error as Error).message });
    }
  }
  return out;
}

const dirs: string[] = [];
function freshDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-metrics-'));
  dirs.push(dir);
  return openDatabase(dir);
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the chunked metric store answers as the one-row-per-scrape store did', () => {
  const list = queries();
  let reference: unknown[];
  let previous: PreviousStore;

  beforeAll(async () => {
    previous = new PreviousStore(freshDb());
    load(previous, history, 'batch');
    reference = await answers(new PreviousSource(previous, INTERVAL), list);
  }, 60_000);

  it('the reference answers have numbers in them (resets, outages and new series included)', () => {
    const withPoints = reference.filter((a) =>
      (a as { series?: Array<{ points: unknown[] }> }).series?.some((s) => s.points.length > 0),
    );
    expect(withPoints.length).toBeGreaterThan(list.length * 0.7);
  });

  it.each(['batch', 'live'] as const)('written %s: every curated answer is the same to the last bit', async (mode) => {
    const store = new MetricStore(freshDb());
    load(store, history, mode);
    const ours = await answers(new EmbeddedSource(store, INTERVAL), list);
    for (let i = 0; i < list.length; i++) expect(ours[i], JSON.stringify(list[i])).toEqual(reference[i]);
  });

  it('reads the same samples, series in the same order, for any family and range', () => {
    const store = new MetricStore(freshDb());
    load(store, history, 'batch');
    const families = [...new Set(history.flatMap((s) => s.keys.map(familyOf)))];
    for (const [target, previousTarget] of store.targets().map((t, i) => [t, previous.targets()[i]] as const)) {
      for (const [from, to] of [
        [START, END],
        [START + 1700.2, START + 4000.9],
        [END - 60, END + 60],
      ] as const) {
        const all = store.read(target, from, to, () => true);
        const before = previous.read(previousTarget as never, from, to, () => true);
        expect(Array.from(all.times)).toEqual(before.times);
        expect([...all.series.keys()]).toEqual([...before.series.keys()]);
        expect([...all.series.values()].map((v) => Array.from(v))).toEqual([...before.series.values()].map((v) => Array.from(v)));
        for (const family of families) {
          const one = store.read(target, from, to, (key) => familyOf(key) === family, [family]);
          const expected = previous.read(previousTarget as never, from, to, (key) => familyOf(key) === family);
          expect([...one.series.keys()], family).toEqual([...expected.series.keys()]);
          expect([...one.series.values()].map((v) => Array.from(v))).toEqual(
            [...expected.series.values()].map((v) => Array.from(v)),
          );
        }
      }
    }
  });

  it('a scrape older than the latest, or at the same time as one stored, lands where the previous store put it', async () => {
    const late = history.filter((_, i) => i % 97 === 5).map((s) => ({ ...s, t: s.t - 7.5 }));
    const again = history.filter((_, i) => i % 131 === 9).map((s) => ({ ...s, values: s.values.map((v) => v * 2) }));
    const before = history.filter((s) => s.t < START).concat({ ...(history[0] as Scrape), t: START - 3600 });
    const extra = [...late, ...again, ...before];
    const old = new PreviousStore(freshDb());
    const store = new MetricStore(freshDb());
    for (const target of [old, store] as AnyStore[]) {
      load(target, history, 'batch');
      load(target, extra, 'live');
    }
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(
      await answers(new PreviousSource(old, INTERVAL), list),
    );
  });

  it('prunes as the previous store did, cutting through a chunk', async () => {
    const old = new PreviousStore(freshDb());
    const store = new MetricStore(freshDb());
    load(old, history, 'batch');
    load(store, history, 'live');
    const cut = START + 2 * 3600 + 0.5;
    expect(store.prune(cut)).toBe(old.prune(cut));
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(
      await answers(new PreviousSource(old, INTERVAL), list),
    );
    // Appending after a prune continues where the data is.
    const next = { ...(history.at(-1) as Scrape), t: END + INTERVAL };
    load(old, [next], 'live');
    load(store, [next], 'live');
    expect(store.extent(store.targets()[0]?.id as number)).toEqual(
      old.extent(old.targets().find((t) => t.name === store.targets()[0]?.name)?.id as number),
    );
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(
      await answers(new PreviousSource(old, INTERVAL), list),
    );
  });
});

describe('a database written by the previous release', () => {
  it('keeps its history: its scrapes are moved into chunks when the store opens it, and answers stay the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-metrics-upgrade-'));
    dirs.push(dir);
    // The schema as the previous release left it (before migration 0010), written by its store.
    const raw = new Database(join(dir, 'llmops.db'));
    migrate(
      raw,
      loadMigrations().filter((m) => m.name !== 'metric-chunks' && m.version < 10),
    );
    const previous = new PreviousStore(raw);
    load(previous, history, 'batch');
    const list = queries();
    const before = await answers(new PreviousSource(previous, INTERVAL), list);
    const extent = previous.extent(1);
    raw.close();

    const db = openDatabase(dir);
    const store = new MetricStore(db);
    expect(db.prepare('SELECT COUNT(*) AS n FROM metric_snapshots').get()).toEqual({ n: 0 });
    expect(store.extent(1)).toEqual(extent);
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(before);

    // Scraping goes on from where the history ends, in the chunk it left open.
    const next = history.filter((s) => s.t > END - 1800).map((s) => ({ ...s, t: s.t + 1800 + INTERVAL }));
    load(store, next, 'live');
    const again = new PreviousStore(freshDb());
    load(again, history, 'batch');
    load(again, next, 'live');
    const later = list.map((q) => ({ ...q, end: new Date(q.end.getTime() + 1_800_000) }));
    expect(await answers(new EmbeddedSource(store, INTERVAL), later)).toEqual(
      await answers(new PreviousSource(again, INTERVAL), later),
    );
    db.close();
  });
});

describe('writing', () => {
  it('a batch that fails leaves nothing of it behind, and the store goes on', async () => {
    const store = new MetricStore(freshDb());
    const first = history.filter((s) => s.target === 'sim:qwen').slice(0, 150);
    load(store, first, 'batch');
    const target = store.targets().find((t) => t.name === 'sim:qwen') as { id: number };
    const extent = store.extent(target.id);
    expect(() =>
      store.batch(() => {
        for (const scrape of history.filter((s) => s.target === 'sim:qwen').slice(150, 400)) {
          store.append(target.id, scrape.t, scrape.keys, scrape.values);
        }
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(store.extent(target.id)).toEqual(extent);
    load(store, history.filter((s) => s.target === 'sim:qwen').slice(150), 'live');
    const old = new PreviousStore(freshDb());
    load(
      old,
      history.filter((s) => s.target === 'sim:qwen'),
      'batch',
    );
    const list = queries().filter((q) => q.deployment === 'qwen');
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(
      await answers(new PreviousSource(old, INTERVAL), list),
    );
  });

  it('a target silent for longer than a chunk may span (7 days), and a scrape from long before, read as before', async () => {
    const qwen = history.filter((s) => s.target === 'sim:qwen');
    const later = qwen.slice(0, 60).map((s) => ({ ...s, t: s.t + 9 * 86_400 }));
    const early = { ...(qwen[5] as Scrape), t: START - 10 * 86_400 };
    const old = new PreviousStore(freshDb());
    const store = new MetricStore(freshDb());
    for (const target of [old, store] as AnyStore[]) {
      load(target, qwen, 'live');
      load(target, later, 'live');
      load(target, [early], 'live');
    }
    const [target] = store.targets();
    const [previousTarget] = old.targets();
    const all = store.read(target as never, START - 11 * 86_400, END + 10 * 86_400, () => true);
    const before = old.read(previousTarget as never, START - 11 * 86_400, END + 10 * 86_400, () => true);
    expect(Array.from(all.times)).toEqual(before.times);
    expect([...all.series.values()].map((v) => Array.from(v))).toEqual([...before.series.values()].map((v) => Array.from(v)));
    const list = [START - 10 * 86_400, START, START + 9 * 86_400].flatMap((from) =>
      (['queue_depth', 'throughput', 'ttft'] as const).map((kind) => ({
        kind,
        start: new Date(from * 1000),
        end: new Date((from + 86_400) * 1000),
        stepSeconds: 600,
      })),
    );
    expect(await answers(new EmbeddedSource(store, INTERVAL), list)).toEqual(
      await answers(new PreviousSource(old, INTERVAL), list),
    );
  });

  it('refuses a scrape whose values do not match its keys, naming both counts, and stores nothing of it', () => {
    const store = new MetricStore(freshDb());
    const target = store.upsertTarget('t', 'd', 'http://x');
    expect(() => store.append(target.id, START, ['a', 'b'], new Float64Array(3))).toThrow('has 2 series but 3 values');
    expect(store.extent(target.id)).toBeUndefined();
  });

  it('keeps a one-series family of a full chunk in its page (under SQLite’s 1,002-byte limit for WITHOUT ROWID rows)', () => {
    const db = freshDb();
    const store = new MetricStore(db);
    load(store, history, 'batch');
    const sizes = db
      .prepare(
        `SELECT MAX(LENGTH(v.vals) + LENGTH(v.family)) AS values_row, (SELECT MAX(LENGTH(times) + LENGTH(schemas)) FROM metric_chunks) AS header
         FROM metric_chunk_values v WHERE v.family = 'vllm:num_requests_running'`,
      )
      .get() as { values_row: number; header: number };
    expect(sizes.values_row).toBeLessThan(960);
    expect(sizes.header).toBeLessThan(600);
  });
});
