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
 * and go in a rollout still make one line). Where a deployment has two of token rate, request rate
 * and mean length, the third is derived (tokens per second over requests per second is the mean
 * length), since that is how those metrics show an input shift or a surge.
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
  return [...out, ...derived(out)];
}

/** tokens per second = requests per second × tokens per request: any two give the third when it is missing. */
function derived(series: readonly RcaSeries[]): RcaSeries[] {
  const out: RcaSeries[] = [];
  for (const deployment of new Set(series.map((s) => s.deployment))) {
    const mine = series.filter((s) => s.deployment === deployment);
    const find = (metric: string) =>
      mine.find((s) => s.metric === metric) ?? out.find((s) => s.deployment === deployment && s.metric === metric);
    for (const [tokens, length] of [
      ['prompt_throughput', 'prompt_length'],
      ['throughput', 'generation_length'],
    ] as const) {
      const rate = find(tokens);
      const requests = find('request_rate');
      const perRequest = find(length);
      if (rate && requests && !perRequest) out.push(ratioOf(rate, requests, deployment, length));
      else if (rate && perRequest && !requests) out.push(ratioOf(rate, perRequest, deployment, 'request_rate'));
    }
  }
  return out.filter((s) => s.points.length > 0);
}

function ratioOf(numerator: RcaSeries, denominator: RcaSeries, deployment: string, metric: string): RcaSeries {
  const below = new Map(denominator.points.map((p) => [p.t, p.v]));
  const points = numerator.points
    .map((p) => ({ t: p.t, v: p.v / (below.get(p.t) ?? Number.NaN) }))
    .filter((p) => Number.isFinite(p.v) && (below.get(p.t) ?? 0) > 0);
  return {
    deployment,
    metric,
    points,
    source: `${numerator.source ?? numerator.metric} / ${denominator.source ?? denominator.metric}`,
  };
}
