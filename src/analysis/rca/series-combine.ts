import type { RcaSeries } from './rank-hypotheses.ts';

/** Metrics whose parts add up (requests per second of each pod make the deployment's); the others are averaged. */
const ADDITIVE = new Set([
  'request_rate',
  'throughput',
  'prompt_throughput',
  'queue_depth',
  'running',
  'preemptions',
  'cpu_usage',
  'memory_usage',
]);

/**
 * One series per deployment, metric and source: per-pod or per-GPU series of one file become the
 * deployment's (summed or averaged at each time, over the parts present then, so pods that come
 * and go in a rollout still make one line). Where a deployment has request rates and token rates
 * but no length series, the mean prompt and generation lengths are derived from them (tokens per
 * second over requests per second), since that is how those metrics show an input shift.
 */
export function combineSeries(series: readonly RcaSeries[]): RcaSeries[] {
  const groups = new Map<string, RcaSeries[]>();
  for (const s of series) {
    const key = `${s.deployment}\u0000${s.metric}\u0000${s.source ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  const out: RcaSeries[] = [];
  for (const group of groups.values()) {
    const first = group[0] as RcaSeries;
    if (group.length === 1) {
      out.push(first);
      continue;
    }
    const at = new Map<number, number[]>();
    for (const s of group)
      for (const p of s.points) {
        if (!Number.isFinite(p.v)) continue;
        const values = at.get(p.t);
        if (values) values.push(p.v);
        else at.set(p.t, [p.v]);
      }
    const add = ADDITIVE.has(first.metric);
    const points = [...at.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, values]) => ({ t, v: values.reduce((s, v) => s + v, 0) / (add ? 1 : values.length) }));
    out.push({ deployment: first.deployment, metric: first.metric, points, source: first.source });
  }
  return [...out, ...derivedLengths(out)];
}

function derivedLengths(series: readonly RcaSeries[]): RcaSeries[] {
  const out: RcaSeries[] = [];
  for (const deployment of new Set(series.map((s) => s.deployment))) {
    const mine = series.filter((s) => s.deployment === deployment);
    const find = (metric: string) => mine.find((s) => s.metric === metric);
    const requests = find('request_rate');
    if (!requests) continue;
    for (const [tokens, length] of [
      ['prompt_throughput', 'prompt_length'],
      ['throughput', 'generation_length'],
    ] as const) {
      const rate = find(tokens);
      if (!rate || find(length)) continue;
      const perRequest = new Map(requests.points.map((p) => [p.t, p.v]));
      const points = rate.points
        .map((p) => ({ t: p.t, v: p.v / (perRequest.get(p.t) ?? Number.NaN) }))
        .filter((p) => Number.isFinite(p.v) && (perRequest.get(p.t) ?? 0) > 0);
      if (points.length > 0)
        out.push({
          deployment,
          metric: length,
          points,
          source: `${rate.source ?? tokens} / ${requests.source ?? 'request_rate'}`,
        });
    }
  }
  return out;
}
