import { TemplateMiner, type TemplateMinerOptions } from './drain.ts';

/**
 * Compares two windows of log messages (e.g. the hour before an incident and the last hour) for
 * the `analyze_logs` tool. One miner sees the baseline then the current window, so a current line
 * that fits a baseline template is counted under that template. Deterministic: same input, same
 * output (ties sorted by template text).
 *
 * - `top`: templates of the current window by count.
 * - `new`: templates with lines in the current window and none in the baseline.
 * - `spiking`: templates seen in both windows whose per-line rate grew by ≥ `minRatio` (default 3)
 *   with ≥ `minCount` (default 5) current lines. The ratio is smoothed (add-one on both counts):
 *   ((cur + 1) / (nCur + 1)) / ((base + 1) / (nBase + 1)), so rare baseline templates do not
 *   produce infinite ratios. New templates are reported under `new`, not `spiking`.
 */
export interface WindowTemplate {
  template: string;
  current: number;
  baseline: number;
  /** Smoothed rate ratio current/baseline. */
  ratio: number;
}

export interface WindowComparison {
  baselineLines: number;
  currentLines: number;
  templates: number;
  top: WindowTemplate[];
  new: WindowTemplate[];
  spiking: WindowTemplate[];
}

export interface CompareOptions extends TemplateMinerOptions {
  top?: number;
  minRatio?: number;
  minCount?: number;
}

export function compareWindows(baseline: string[], current: string[], options: CompareOptions = {}): WindowComparison {
  const { top = 10, minRatio = 3, minCount = 5, ...minerOptions } = options;
  // Comparison needs every cluster: no eviction within the two windows.
  const miner = new TemplateMiner({ maxClusters: baseline.length + current.length + 1, ...minerOptions });
  const base = new Map<number, number>();
  const cur = new Map<number, number>();
  for (const line of baseline) {
    const clusterId = miner.assign(line);
    base.set(clusterId, (base.get(clusterId) ?? 0) + 1);
  }
  for (const line of current) {
    const clusterId = miner.assign(line);
    cur.set(clusterId, (cur.get(clusterId) ?? 0) + 1);
  }
  // Clusters of variable words merge once both windows are seen: count lines under the final ids.
  const final = (counts: Map<number, number>) => {
    const out = new Map<number, number>();
    for (const [id, count] of counts) {
      const to = miner.resolve(id);
      out.set(to, (out.get(to) ?? 0) + count);
    }
    return out;
  };
  const baseFinal = final(base);
  const curFinal = final(cur);
  const nBase = baseline.length;
  const nCur = current.length;
  const rows: WindowTemplate[] = [];
  for (const [id, count] of curFinal) {
    const b = baseFinal.get(id) ?? 0;
    const ratio = (count + 1) / (nCur + 1) / ((b + 1) / (nBase + 1));
    rows.push({ template: miner.template(id) ?? '', current: count, baseline: b, ratio: Math.round(ratio * 1000) / 1000 });
  }
  const byCount = (a: WindowTemplate, b: WindowTemplate) =>
    b.current - a.current || (a.template < b.template ? -1 : a.template > b.template ? 1 : 0);
  rows.sort(byCount);
  return {
    baselineLines: nBase,
    currentLines: nCur,
    templates: miner.size,
    top: rows.slice(0, top),
    new: rows.filter((r) => r.baseline === 0),
    spiking: rows
      .filter((r) => r.baseline > 0 && r.current >= minCount && r.ratio >= minRatio)
      .sort((a, b) => b.ratio - a.ratio || byCount(a, b)),
  };
}
