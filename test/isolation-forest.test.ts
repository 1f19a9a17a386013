import { describe, expect, it } from 'vitest';
import { averagePathLength, detectMultivariate, IsolationForest } from '../src/analysis/anomaly/isolation-forest.ts';
import { mulberry32 } from '../src/random/seeded-random.ts';

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Area under the ROC curve: the chance a random positive outscores a random negative (ties count ½). */
function auc(positives: number[], negatives: number[]): number {
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

function gaussianRows(seed: number, count: number, dimensions: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: dimensions }, () => normal(random)));
}

describe('c(n), the average path length', () => {
  it('matches known values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2(ln 2 + 0.5772156649) − 4/3 = 2.5407259 − 1.3333333
    expect(averagePathLength(3)).toBeCloseTo(1.2073926, 6);
    // 2(ln 99 + γ) − 198/100 = 2(4.5951199 + 0.5772157) − 1.98
    expect(averagePathLength(100)).toBeCloseTo(8.3646712, 6);
    // 2(ln 255 + γ) − 510/256 = 2(5.5412635 + 0.5772157) − 1.9921875
    expect(averagePathLength(256)).toBeCloseTo(10.2447709, 6);
  });
});

describe('IsolationForest', () => {
  it('is deterministic for a given seed', () => {
    const rows = gaussianRows(1, 400, 3);
    const probes = gaussianRows(2, 50, 3);
    const a = new IsolationForest({ seed: 42 }).fit(rows).scoreAll(probes);
    const b = new IsolationForest({ seed: 42 }).fit(rows).scoreAll(probes);
    const c = new IsolationForest({ seed: 43 }).fit(rows).scoreAll(probes);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('scores lie in (0, 1], and NaN is imputed with the training median', () => {
    const rows = gaussianRows(3, 300, 2);
    const forest = new IsolationForest({ seed: 1 }).fit(rows);
    const probes = [...gaussianRows(4, 200, 2), [1e9, -1e9], [0, 0], [Number.NaN, 5], [Number.NaN, Number.NaN]];
    for (const s of forest.scoreAll(probes)) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    expect(forest.score([Number.NaN, Number.NaN])).toBe(forest.score(forest.baseline.medians));
  });

  it('credits unbuilt subtrees with c(size): a depth-0 forest, or identical rows, score 0.5', () => {
    const rows = gaussianRows(5, 300, 2);
    // Every tree is a single leaf of ψ = 256 rows, so h(x) = c(256) and s = 2^-1 for any x.
    const stump = new IsolationForest({ seed: 1, maxDepth: 0 }).fit(rows);
    for (const s of stump.scoreAll([
      [0, 0],
      [100, -100],
    ]))
      expect(s).toBeCloseTo(0.5, 12);
    const constant = new IsolationForest({ seed: 1 }).fit(Array.from({ length: 50 }, () => [3, 7]));
    expect(constant.score([3, 7])).toBeCloseTo(0.5, 12);
  });

  it('scores injected outliers in 2-D Gaussian data clearly above the inliers (AUC > 0.95)', () => {
    const random = mulberry32(11);
    // Very different scales (like latency in ms and KV-cache use as a fraction) and some correlation.
    const inliers = Array.from({ length: 500 }, () => {
      const a = normal(random);
      const b = 0.6 * a + 0.8 * normal(random);
      return [200 + 20 * a, 0.6 + 0.05 * b];
    });
    const outliers = Array.from({ length: 25 }, () => {
      const angle = 2 * Math.PI * random();
      const radius = 3.5 + 2.5 * random(); // 3.5–6 SDs from the centre
      return [200 + 20 * radius * Math.cos(angle), 0.6 + 0.05 * radius * Math.sin(angle)];
    });
    // Unsupervised: the forest is fitted on the contaminated data (~5% outliers).
    const forest = new IsolationForest({ seed: 7 }).fit([...inliers, ...outliers]);
    const inlierScores = forest.scoreAll(inliers);
    const outlierScores = forest.scoreAll(outliers);
    const area = auc(outlierScores, inlierScores);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.info(
      `2-D Gaussian: AUC ${area.toFixed(4)}, mean score inliers ${mean(inlierScores).toFixed(3)}, outliers ${mean(outlierScores).toFixed(3)}`,
    );
    expect(area).toBeGreaterThan(0.95);
    expect(mean(outlierScores) - mean(inlierScores)).toBeGreaterThan(0.15);
  });
});

describe('detectMultivariate', () => {
  const STEP = 15_000; // a 15 s scrape interval
  const T0 = 1_700_000_000_000;

  /** 600 scrapes of four independent serving metrics; the first half is the training baseline. */
  function servingSeries(seed: number, incident: boolean) {
    const random = mulberry32(seed);
    const series = Array.from({ length: 600 }, (_, i) => ({
      t: T0 + i * STEP,
      values: {
        latency_ms: 200 + 20 * normal(random),
        queue_depth: 12 + 3 * normal(random),
        kv_cache_usage: 0.6 + 0.05 * normal(random),
        error_rate: 0.01 + 0.002 * normal(random),
      } as Record<string, number>,
    }));
    // Missing data in the scored half: imputed with the training median, not mistaken for an anomaly.
    for (const i of [320, 380, 520]) (series[i] as (typeof series)[number]).values.kv_cache_usage = Number.NaN;
    delete (series[400] as (typeof series)[number]).values.error_rate;
    if (!incident) return { series, range: undefined };

    // Latency and queue depth rise together for 20 points (450–469), each to 75–95% of the way from its
    // training median to its training maximum: inside its own normal range, unusual only jointly.
    const range: Record<string, { min: number; max: number }> = {};
    for (const metric of ['latency_ms', 'queue_depth']) {
      const training = series.slice(0, 300).map((p) => p.values[metric] as number);
      const sorted = [...training].sort((a, b) => a - b);
      const median = ((sorted[149] as number) + (sorted[150] as number)) / 2;
      range[metric] = { min: Math.min(...training), max: Math.max(...training) };
      for (let i = 450; i < 470; i++) {
        (series[i] as (typeof series)[number]).values[metric] = median + (0.75 + 0.2 * random()) * (range[metric].max - median);
      }
    }
    return { series, range };
  }

  it('finds a joint latency + queue-depth rise, each within its normal range, as one interval driven by both', () => {
    const { series, range } = servingSeries(2024, true);
    for (let i = 450; i < 470; i++) {
      for (const metric of ['latency_ms', 'queue_depth']) {
        const v = (series[i] as (typeof series)[number]).values[metric] as number;
        expect(v).toBeGreaterThan(range?.[metric]?.min as number);
        expect(v).toBeLessThan(range?.[metric]?.max as number);
      }
    }

    const result = detectMultivariate(series, { seed: 1 });
    expect(result.scores).toHaveLength(300);
    expect(result.scores[0]?.t).toBe(T0 + 300 * STEP);
    for (const { score } of result.scores) {
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThanOrEqual(1);
    }
    const interval = result.intervals[0];
    const incidentScores = result.scores.slice(150, 170).map((s) => s.score);
    const otherScores = [...result.scores.slice(0, 150), ...result.scores.slice(170)].map((s) => s.score);
    console.info(
      `serving incident: threshold ${result.threshold.toFixed(3)} (extend ${result.extendThreshold.toFixed(3)}); ` +
        `incident raw scores ${Math.min(...incidentScores).toFixed(3)}–${Math.max(...incidentScores).toFixed(3)}, ` +
        `max elsewhere ${Math.max(...otherScores).toFixed(3)}; intervals ${JSON.stringify(
          result.intervals.map((iv) => ({
            start: (iv.start - T0) / STEP,
            end: (iv.end - T0) / STEP,
            peak: Number(iv.peakScore.toFixed(3)),
            drivers: iv.drivers.map((d) => `${d.metric} ${d.direction} z=${d.z.toFixed(2)}`),
          })),
        )}`,
    );

    expect(result.intervals).toHaveLength(1);
    expect(((interval?.start as number) - T0) / STEP).toBeGreaterThanOrEqual(448);
    expect(((interval?.start as number) - T0) / STEP).toBeLessThanOrEqual(452);
    expect(((interval?.end as number) - T0) / STEP).toBeGreaterThanOrEqual(467);
    expect(((interval?.end as number) - T0) / STEP).toBeLessThanOrEqual(471);
    expect(interval?.peakScore).toBe(
      Math.max(...result.scores.filter((s) => s.t >= (interval?.start ?? 0) && s.t <= (interval?.end ?? 0)).map((s) => s.score)),
    );
    expect(interval?.drivers.map((d) => d.metric).sort()).toEqual(['latency_ms', 'queue_depth']);
    for (const driver of interval?.drivers ?? []) {
      expect(driver.direction).toBe('up');
      expect(driver.z).toBeGreaterThan(1.5);
    }
  });

  it('reports nothing for the same metrics without the incident', () => {
    const { series } = servingSeries(2024, false);
    expect(detectMultivariate(series, { seed: 1 }).intervals).toEqual([]);
  });

  it('is deterministic for a given seed and does not depend on input order', () => {
    const { series } = servingSeries(7, true);
    const a = detectMultivariate(series, { seed: 3 });
    const b = detectMultivariate([...series].reverse(), { seed: 3 });
    expect(b).toEqual(a);
  });

  it('rejects series too short to train on', () => {
    const { series } = servingSeries(1, false);
    expect(() => detectMultivariate(series.slice(0, 10))).toThrow(/training points/);
  });
});
