import { z } from 'zod';
import { CURATED_METRICS, LATENCY_KINDS, METRIC_KINDS, type MetricKind } from '../../metrics/curated-metrics.ts';
import { formatValue } from '../../metrics/format-value.ts';
import { durationZh, duringZh, environmentZh, METRIC_ZH, rangeZh } from './zh-words.ts';

/** One tool call of this turn as the answer writer sees it: what was asked and what came back. */
export interface CallResult {
  tool: string;
  args: Record<string, unknown>;
  status: string;
  summary: string;
  code?: string | undefined;
  data?: unknown;
}

/** A Chinese rendering of one result, or undefined when the result does not have the shape it reads. */
export type ZhRenderer = (r: CallResult) => string | undefined;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const rangeOf = (r: CallResult, fallback: string) => rangeZh(str(r.args.range) ?? fallback);
/** The range as an adverbial ("最近 1 小时内", "今天"), for "在…" phrases. */
const during = (r: CallResult, fallback: string) => duringZh(str(r.args.range) ?? fallback);
const who = (deployment: unknown) => str(deployment) ?? '整个集群';

/** The English label a tool gives a metric ("p95 TTFT", "requests per second"), as query_metrics writes it. */
function labelEn(kind: MetricKind, q: number | undefined): string {
  const about = CURATED_METRICS[kind].about;
  return q === undefined ? about : `p${Math.round(q * 1000) / 10} ${kind === 'ttft' ? 'TTFT' : kind === 'tpot' ? 'TPOT' : about}`;
}

/** The same label in Chinese ("p95 TTFT（首 token 时间）"). */
function labelZh(kind: MetricKind, q: number | undefined): string {
  if (q === undefined) return METRIC_ZH[kind];
  const short = kind === 'ttft' ? 'TTFT' : kind === 'tpot' ? 'TPOT' : undefined;
  return `p${Math.round(q * 1000) / 10} ${short ? `${short}（${METRIC_ZH[kind]}）` : METRIC_ZH[kind]}`;
}

const aboutToKind = new Map(METRIC_KINDS.map((kind) => [CURATED_METRICS[kind].about, kind]));
const metricName = z.enum(METRIC_KINDS);

// "mistral-7b: 200 ms now (min 79.4 ms, mean 117 ms, max 200 ms)": the figures query_metrics computed, verbatim.
const SERIES_LINE = /^(.+?): (.+?) now \(min (.+?), mean (.+?), max (.+?)\)$/;

const queryData = z.object({ kind: metricName, source: z.string(), query: z.string(), metricName: z.string().optional() });

const queryMetrics: ZhRenderer = (r) => {
  const range = rangeOf(r, 'last 1h');
  const promql = str(r.args.promql);
  if (promql) {
    if (r.status === 'no_data') return `PromQL ${promql} 在${during(r, 'last 1h')}没有返回序列。`;
    const ok = /: (\d+) series; latest ([\s\S]*)\.$/.exec(r.summary);
    return ok ? `PromQL ${promql}（${range}）：${ok[1]} 条序列；最新值 ${ok[2]}。` : undefined;
  }
  const kind = metricName.safeParse(r.args.metric);
  if (!kind.success) return overview(r, range);
  const q = LATENCY_KINDS.includes(kind.data) ? ((r.args.quantile as number | undefined) ?? 0.95) : undefined;
  const label = labelZh(kind.data, q);
  const data = queryData.safeParse(r.data);
  if (r.status === 'no_data')
    return data.success
      ? `${who(r.args.deployment)} 在${during(r, 'last 1h')}没有${label}数据（${data.data.source}: ${data.data.query}）。`
      : undefined;
  const body = /^.+? over .+?: ([\s\S]+?)\. Source: /.exec(r.summary)?.[1] ?? '';
  const series = body.split('; ').map((part) => SERIES_LINE.exec(part));
  if (series.length === 0 || series.some((m) => m === null) || !data.success) return undefined;
  const lines = series.map((m) => `• ${m?.[1]}：当前 ${m?.[2]}（最低 ${m?.[3]}，平均 ${m?.[4]}，最高 ${m?.[5]}）`);
  const chart = /Chart: (\S+)/.exec(r.summary)?.[1];
  return [
    `${label}，${range}：`,
    ...lines,
    `来源：${data.data.source}（${data.data.metricName ?? data.data.query}）。${chart ? `图表：${chart}` : ''}`,
  ].join('\n');
};

/** query_metrics without a metric: the overview line, each metric's label put in Chinese and its values kept. */
function overview(r: CallResult, range: string): string | undefined {
  if (r.status === 'no_data') return `${who(r.args.deployment)} 在${duringZh(range)}没有指标。`;
  const body = /^.+? now \(.+?\): ([\s\S]*)\.$/.exec(r.summary)?.[1];
  if (!body) return undefined;
  const labels = METRIC_KINDS.flatMap((kind) => {
    const q = LATENCY_KINDS.includes(kind) ? 0.95 : undefined;
    return [{ en: labelEn(kind, q), zh: labelZh(kind, q) }];
  }).sort((a, b) => b.en.length - a.en.length);
  const parts = body.split('; ').map((part) => {
    const label = labels.find((l) => part.startsWith(`${l.en} `));
    return label ? `• ${label.zh}：${part.slice(label.en.length + 1)}` : `• ${part}`;
  });
  return [`${who(r.args.deployment)} 当前（${range}）：`, ...parts].join('\n');
}

const deploymentStatus = z.object({
  name: z.string(),
  environment: z.string(),
  version: z.string(),
  model: z.string(),
  replicas: z.number(),
  endpoint: z.string(),
  healthy: z.boolean(),
  health: z.string(),
  gpu: z.string().optional(),
  dtype: z.string().optional(),
  running: z.number().optional(),
  waiting: z.number().optional(),
  kvCacheUsage: z.number().optional(),
});

const getDeploymentStatus: ZhRenderer = (r) => {
  if (r.status === 'no_data') {
    const known = /Known deployments: (.*)\.$/.exec(r.summary)?.[1];
    const where = str(r.args.environment) ? `${environmentZh(str(r.args.environment) as string)}环境里` : '';
    return known === undefined ? undefined : `${where}没有部署。已知部署：${known === 'none' ? '无' : known}。`;
  }
  const list = z.array(z.unknown()).safeParse(r.data);
  if (!list.success) return undefined;
  const chosen = list.data.flatMap((item) => {
    const parsed = deploymentStatus.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  const count = Number(/^(\d+) deployments?/.exec(r.summary)?.[1] ?? chosen.length);
  if (chosen.length === 0) return undefined;
  const unhealthy = chosen.filter((d) => !d.healthy).length;
  const lines = chosen.map((d) => {
    const load =
      d.running === undefined
        ? ''
        : `，运行中 ${d.running} / 等待 ${d.waiting ?? 0}，KV 缓存 ${Math.round((d.kvCacheUsage ?? 0) * 100)}%`;
    return `• ${d.name}（${d.environment}）${d.version}：${d.replicas} 个副本，模型 ${d.model}，${d.gpu ?? '?'} ${d.dtype ?? ''}，${d.healthy ? '健康' : `不健康（${d.health}）`}${load}；接口 ${d.endpoint || '无'}`;
  });
  return `${count} 个部署${unhealthy ? `，${unhealthy} 个不健康` : '，全部健康'}：\n${lines.join('\n')}`;
};

const CAUSE_ZH: Record<string, string> = {
  deployment_change: '部署变更',
  config_change: '配置变更',
  traffic_surge: '流量激增',
  resource_exhaustion: '资源耗尽',
  hardware_fault: '硬件故障',
  dependency_failure: '依赖故障',
  input_shift: '输入变化',
  unknown: '未知',
};

const hypothesis = z.object({
  kind: z.string(),
  summary: z.string(),
  confidence: z.number(),
  evidence: z.array(z.union([z.object({ text: z.string() }), z.string()])),
  action: z.object({ summary: z.string() }),
});
const incidentData = z.object({
  deployment: z.string(),
  hypotheses: z.array(z.union([hypothesis, z.string()])),
  checked: z.object({ series: z.number(), log_lines: z.number().optional(), events: z.number() }),
});

const SYMPTOM_ZH: Record<string, string> = {
  'high latency': '高延迟',
  errors: '错误',
  '5xx errors': '5xx 错误',
  'out of memory': '内存不足',
  unavailable: '不可用',
};

/** A symptom as the planner names it, in Chinese. */
function symptomZh(symptom: string | undefined): string | undefined {
  if (symptom === undefined) return undefined;
  const kind = metricName.safeParse(symptom);
  return SYMPTOM_ZH[symptom] ?? (kind.success ? METRIC_ZH[kind.data] : symptom);
}

/** explain_incident: the verdict, confidence and counts in Chinese; the engine's own sentences quoted as it wrote them. */
const explainIncident: ZhRenderer = (r) => {
  const data = incidentData.safeParse(r.data);
  if (!data.success) return undefined;
  const { deployment, checked } = data.data;
  const hypotheses = data.data.hypotheses.filter((h) => typeof h !== 'string');
  const top = hypotheses[0];
  if (!top) return `没有关于 ${deployment} 的假设。`;
  const symptom = symptomZh(str(r.args.symptom));
  const basis = `已检查 ${deployment} 及相邻部署的 ${checked.series} 条指标序列、${checked.log_lines ?? 0} 行日志和 ${checked.events} 个变更事件（${rangeOf(r, 'last 1h')}及之前几小时）。`;
  // The action line as the tool wrote it, with any rollback advice it added.
  const next = /\nNext: (.*)/.exec(r.summary)?.[1] ?? top.action.summary;
  if (top.kind === 'unknown') return `${basis}\n没有找到${symptom ? `“${symptom}”的` : ''}原因：${top.summary}\n下一步：${next}`;
  const lines = [
    `${deployment}${symptom ? `“${symptom}”` : ''}最可能的原因：${CAUSE_ZH[top.kind] ?? top.kind}（${top.kind}，置信度 ${top.confidence.toFixed(2)}）。${top.summary}`,
    '证据：',
    ...top.evidence.slice(0, 5).map((e) => `• ${typeof e === 'string' ? e : e.text}`),
    `下一步：${next}`,
  ];
  const others = hypotheses.slice(1).filter((h) => h.confidence >= 0.05);
  if (others.length > 0)
    lines.push(
      `其他可能：${others
        .slice(0, 3)
        .map((h) => `${CAUSE_ZH[h.kind] ?? h.kind}（${h.confidence.toFixed(2)}）`)
        .join('；')}`,
    );
  lines.push(basis);
  return lines.join('\n');
};

const interval = z.object({
  deployment: z.string(),
  kind: metricName,
  direction: z.string(),
  size: z.object({ ratio: z.number().nullable() }),
  baseline: z.number(),
  value: z.number(),
  start: z.number(),
  end: z.number(),
  unit: z.string(),
});
const anomalyData = z.object({
  intervals: z.array(z.unknown()),
  joint: z.array(z.unknown()).default([]),
  checked: z.number(),
  chart: z.string().optional(),
});
const clock = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** detect_anomalies: each interval from its data (sizes and times as the tool formats them). */
const detectAnomalies: ZhRenderer = (r) => {
  const data = anomalyData.safeParse(r.data);
  if (!data.success) return undefined;
  const where = who(r.args.deployment);
  const range = during(r, 'last 24h');
  if (r.status === 'ok' && data.data.intervals.length === 0 && data.data.joint.length === 0) {
    const abouts = /\(([^()]*)\) against their own history/.exec(r.summary)?.[1]?.split(', ') ?? [];
    const kinds = abouts.map((about) => {
      const kind = aboutToKind.get(about as (typeof CURATED_METRICS)[MetricKind]['about']);
      return kind ? METRIC_ZH[kind] : about;
    });
    return `${where} 在${range}没有异常：已对照各自的历史检查了 ${data.data.checked} 条序列（${kinds.join('、')}）。`;
  }
  const intervals = data.data.intervals.flatMap((item) => {
    const parsed = interval.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  const total = Number(/^(\d+) anomal/.exec(r.summary)?.[1] ?? intervals.length + data.data.joint.length);
  const lines = intervals.slice(0, 6).map((f) => {
    const ratio = f.size.ratio;
    const size =
      ratio !== null && Number.isFinite(ratio) ? (ratio >= 1 ? ` ${ratio.toFixed(1)}×` : `至 ${(ratio * 100).toFixed(0)} %`) : '';
    const direction = f.direction === 'up' ? '上升' : f.direction === 'down' ? '下降' : f.direction;
    return `• ${f.deployment} 的${METRIC_ZH[f.kind]}${direction}${size}（${formatValue(f.baseline, f.unit)} → ${formatValue(f.value, f.unit)}），${clock(f.start)} 至 ${clock(f.end).slice(11)} UTC`;
  });
  for (const joint of data.data.joint.slice(0, 3)) lines.push(`• ${String(joint)}`);
  const chart = data.data.chart ? `\n图表：${data.data.chart}` : '';
  return `${where} 在${range}有 ${total} 个异常：\n${lines.join('\n')}${chart}`;
};

// The forecast's own sentence; its figures are computed from points the context budget may have cut.
const FORECAST =
  /^Forecast of .+? for (\S+) over the next (\S+): peak (.+?) \(95 % interval (.+?)–(.+?)\) at (.+?) UTC; now (.+?)\. Model: (.+?)(?: \(back-test MASE ([\d.]+), (\d+) candidates\))?\./;
const capacityData = z.object({
  capacity: z
    .object({
      replicas: z.number().optional(),
      gpus: z.string().optional(),
      perReplicaRequestsPerSecond: z.number().optional(),
      currentReplicas: z.number().optional(),
    })
    .optional(),
});

const forecastMetrics: ZhRenderer = (r) => {
  const metric = metricName.safeParse(r.args.metric ?? 'request_rate');
  const label = metric.success ? METRIC_ZH[metric.data] : String(r.args.metric);
  if (r.status === 'no_data') {
    const points = /\((\d+) points over the last (\d+) days\)/.exec(r.summary);
    return points
      ? `${r.args.deployment} 的${label}历史数据不足，无法预测（最近 ${points[2]} 天只有 ${points[1]} 个点）。`
      : undefined;
  }
  const m = FORECAST.exec(r.summary);
  if (!m) return undefined;
  const lines = [
    `${m[1]} 未来 ${durationZh(m[2] as string)}的${label}预测：峰值 ${m[3]}（95% 区间 ${m[4]}–${m[5]}），出现在 ${m[6]} UTC；当前 ${m[7]}。`,
    `模型：${m[8]}${m[9] ? `（回测 MASE ${m[9]}，共 ${m[10]} 个候选）` : ''}。`,
  ];
  const capacity = capacityData.safeParse(r.data);
  const c = capacity.success ? capacity.data.capacity : undefined;
  const peak = /upper peak of ([\d.]+ req\/s)/.exec(r.summary)?.[1];
  if (c?.replicas !== undefined && c.perReplicaRequestsPerSecond !== undefined && peak) {
    const current = c.currentReplicas ?? 1;
    const verdict = c.replicas > current ? `高峰前需要从 ${current} 个副本扩到 ${c.replicas} 个` : `当前的 ${current} 个副本够用`;
    lines.push(
      `容量：95% 上限峰值 ${peak} 需要 ${c.replicas} 个副本（${c.gpus ?? '?'}），按 70% 利用率计算；实测每个副本 ${c.perReplicaRequestsPerSecond.toFixed(2)} req/s（并发 16）：${verdict}。`,
    );
  } else if (/could not measure per-replica throughput/.test(r.summary)) {
    lines.push(`无法测量 ${m[1]} 每个副本的吞吐（没有可达的接口），因此无法把预测换算成副本数。`);
  } else if (/Capacity advice needs the request-rate forecast/.test(r.summary)) {
    lines.push('容量建议需要基于每秒请求数（request_rate）的预测。');
  }
  const chart = /Chart: (\S+)/.exec(r.summary)?.[1];
  if (chart) lines.push(`图表：${chart}`);
  return lines.join('\n');
};

/** "matching X", "at error or above" in Chinese. */
function logFilterZh(args: Record<string, unknown>): string {
  return [str(args.query) ? `匹配 ${str(args.query)} 的` : '', str(args.level) ? `${str(args.level)} 及以上级别的` : ''].join('');
}

const searchLogs: ZhRenderer = (r) => {
  const where = str(r.args.deployment) ? `${str(r.args.deployment)} 的日志` : '日志';
  const range = during(r, 'last 1h');
  if (r.status === 'no_data') {
    const source = /\((\S+) source\)\.$/.exec(r.summary)?.[1];
    return `${where}在${range}没有${logFilterZh(r.args)}日志行${source ? `（${source} 日志源）` : ''}。`;
  }
  const count = /^(\d+) lines?/.exec(r.summary)?.[1];
  if (!count) return undefined;
  // The lines themselves, as the tool quoted them.
  const lines = r.summary
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/^… (\d+) more$/, '… 还有 $1 行'));
  return [`${where}在${range}有 ${count} 行${logFilterZh(r.args)}日志，最新的在前：`, ...lines].join('\n');
};

const template = z.object({ template: z.string(), current: z.number(), baseline: z.number(), ratio: z.number() });
const templates = z.array(z.unknown()).transform((items) =>
  items.flatMap((item) => {
    const parsed = template.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  }),
);
const logsData = z.object({
  baselineLines: z.number(),
  currentLines: z.number(),
  templates: z.number(),
  top: templates,
  new: templates,
  spiking: templates,
});

const analyzeLogs: ZhRenderer = (r) => {
  const range = during(r, 'last 1h');
  if (r.status === 'no_data') {
    const source = /\((\S+) source\)\.$/.exec(r.summary)?.[1];
    return `${r.args.deployment} 在${range}没有日志行${source ? `（${source} 日志源）` : ''}。`;
  }
  const data = logsData.safeParse(r.data);
  if (!data.success) return undefined;
  const d = data.data;
  const fmt = (t: z.infer<typeof template>) =>
    `${t.current}× ${t.template.length > 160 ? `${t.template.slice(0, 160)}…` : t.template}`;
  const parts = [
    `${r.args.deployment} 在${range}有 ${d.currentLines} 行日志，归为 ${d.templates} 个模板（基线：之前同样长的窗口中有 ${d.baselineLines} 行）。`,
    `最常见：\n${d.top
      .slice(0, 5)
      .map((t) => `• ${fmt(t)}`)
      .join('\n')}`,
  ];
  if (d.new.length > 0)
    parts.push(
      `新出现：\n${d.new
        .slice(0, 5)
        .map((t) => `• ${fmt(t)}`)
        .join('\n')}`,
    );
  if (d.spiking.length > 0)
    parts.push(
      `突增：\n${d.spiking
        .slice(0, 5)
        .map((t) => `• ${fmt(t)}（基线速率的 ${t.ratio.toFixed(1)} 倍）`)
        .join('\n')}`,
    );
  return parts.join('\n');
};

const gpuOption = z.object({
  gpu: z.string(),
  count: z.number(),
  usedPerGpuGiB: z.number(),
  usablePerGpuGiB: z.number(),
  maxConcurrentSequences: z.number(),
  hourlyUsd: z.number(),
});
const sizing = z.object({
  model: z.object({ displayName: z.string(), parameters: z.number(), estimated: z.boolean(), layoutFrom: z.string().optional() }),
  assumptions: z.object({
    dtype: z.string(),
    contextLength: z.number(),
    concurrency: z.number(),
    overheadPerGpuGiB: z.number(),
    memoryUtilization: z.number(),
  }),
  memory: z.object({ weightsGiB: z.number(), kvCacheGiB: z.number(), kvPerTokenKiB: z.number() }),
  recommendation: gpuOption.nullable().optional(),
  cheapest: gpuOption.nullable().optional(),
  options: z.array(z.unknown()),
  warnings: z.array(z.string()).default([]),
});

/** estimate_resources: the sizing engine's figures, formatted as its English summary formats them. */
const estimateResources: ZhRenderer = (r) => {
  const parsed = sizing.safeParse(r.data);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const a = e.assumptions;
  const name = e.model.estimated
    ? `${e.model.displayName}（按 ${(e.model.parameters / 1e9).toFixed(1)}B 参数估算，注意力结构假设与 ${e.model.layoutFrom ?? '?'} 相同）`
    : e.model.displayName;
  const context = a.contextLength.toLocaleString('en-US');
  const lines = [
    `${name} 用 ${a.dtype} 需要 ${e.memory.weightsGiB} GiB 权重 + ${e.memory.kvCacheGiB} GiB KV 缓存（${a.concurrency} × ${context} token，每 token ${e.memory.kvPerTokenKiB} KiB）+ 每张 GPU ${a.overheadPerGpuGiB} GiB 开销。`,
  ];
  const rec = e.recommendation;
  const options = e.options.flatMap((o) => {
    const option = gpuOption.safeParse(o);
    return option.success ? [option.data] : [];
  });
  const only = e.options.length === 1 ? options[0] : undefined;
  if (rec) {
    lines.push(
      `推荐：${rec.count} × ${rec.gpu}（每张 GPU 用 ${rec.usedPerGpuGiB} / 可用 ${rec.usablePerGpuGiB} GiB，显存利用率 ${a.memoryUtilization * 100}%；可容纳 ${rec.maxConcurrentSequences} 个并发序列；约 $${rec.hourlyUsd}/小时）。`,
    );
    if (e.cheapest) lines.push(`最便宜：${e.cheapest.count} × ${e.cheapest.gpu}（约 $${e.cheapest.hourlyUsd}/小时）。`);
  } else if (only && only.maxConcurrentSequences > 0) {
    lines.push(
      `${only.count} × ${only.gpu} 放得下权重，但 KV 缓存只够 ${only.maxConcurrentSequences} 个 ${context} token 的并发序列，不够 ${a.concurrency} 个（每张 GPU 需要 ${only.usedPerGpuGiB} GiB，可用 ${only.usablePerGpuGiB} GiB）。`,
    );
  } else if (only) {
    lines.push(`${only.count} × ${only.gpu} 放不下：每张 GPU 需要 ${only.usedPerGpuGiB} GiB，可用 ${only.usablePerGpuGiB} GiB。`);
  } else {
    lines.push('按这些设置，目录里任何型号的单节点 8 张 GPU 都放不下：请量化、缩短上下文或降低并发。');
  }
  // The engine's warnings are its own sentences.
  if (e.warnings.length > 0) lines.push(`提示：${e.warnings.join(' ')}`);
  return lines.join('\n');
};

const latency = z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).nullable();
const probeReport = z.object({
  requests: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  errors: z.array(z.object({ kind: z.string(), count: z.number() }).loose()),
  ttft: latency,
  tpot: latency,
  e2e: latency,
  tokensPerSecond: z.number(),
  durationSeconds: z.number(),
  endpoint: z.string().optional(),
});
const seconds = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
const percentiles = (stats: z.infer<typeof latency>) =>
  stats ? `p50 ${seconds(stats.p50)} / p95 ${seconds(stats.p95)} / p99 ${seconds(stats.p99)}` : '无';

/** probe_endpoint: the load test's report, with the tool's rounding. */
const probeEndpoint: ZhRenderer = (r) => {
  if (r.status !== 'ok') return undefined;
  const parsed = probeReport.safeParse(r.data);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  const name = str(r.args.deployment) ?? p.endpoint ?? str(r.args.url) ?? '?';
  const rate = r.args.rate_per_second as number | undefined;
  const concurrency = (r.args.concurrency as number | undefined) ?? 1;
  const how = rate ? `${rate} req/s，最多同时 ${concurrency} 个` : `并发 ${concurrency}`;
  const duration = r.args.duration_s ? `，持续 ${r.args.duration_s} 秒` : '';
  const errors = p.failed > 0 ? `${p.failed} 个失败（${p.errors.map((e) => `${e.count} × ${e.kind}`).join('，')}）` : '没有错误';
  return `用 ${p.requests} 个流式请求探测了 ${name}（${how}，max_tokens ${(r.args.max_tokens as number | undefined) ?? 128}${duration}），用时 ${p.durationSeconds.toFixed(1)} 秒：TTFT ${percentiles(p.ttft)}；TPOT ${percentiles(p.tpot)}；端到端 ${percentiles(p.e2e)}；${p.tokensPerSecond.toFixed(1)} tokens/s；${errors}。`;
};

const AUDIT_ACTION_ZH: Record<string, string> = {
  proposed: '提议了',
  approved: '批准了',
  rejected: '拒绝了',
  executed: '执行了',
  executing: '正在执行',
  succeeded: '成功完成了',
  failed: '执行失败：',
  expired: '过期：',
  cancelled: '取消了',
  ran: '运行了',
  refused: '被拒绝：',
  handed_over: '移交了',
  recorded: '记录了',
};
const auditEntry = z.object({
  at: z.union([z.string(), z.date()]),
  actor: z.string(),
  action: z.string(),
  tool: z.string().nullable().optional(),
  deployment: z.string().nullable().optional(),
  environment: z.string().nullable().optional(),
  proposalId: z.number().nullable().optional(),
});

const listAudit: ZhRenderer = (r) => {
  const range = during(r, 'last 24h');
  const scope = `${str(r.args.deployment) ? `（${str(r.args.deployment)}）` : ''}${str(r.args.user) ? `（${str(r.args.user)} 的操作）` : ''}`;
  if (r.status === 'no_data') return `${range}没有审计记录${scope}。`;
  const entries = z.array(z.unknown()).safeParse(r.data);
  if (!entries.success) return undefined;
  const rows = entries.data.flatMap((item) => {
    const parsed = auditEntry.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  const count = Number(/^(\d+) audit entr/.exec(r.summary)?.[1] ?? rows.length);
  const lines = rows.slice(0, 20).map((e) => {
    const at = new Date(e.at).toISOString().slice(0, 16).replace('T', ' ');
    return `• ${at} ${e.actor} ${AUDIT_ACTION_ZH[e.action] ?? e.action}${e.tool ? ` ${e.tool}` : ''}${e.deployment ? ` ${e.deployment}` : ''}${e.environment ? `（${e.environment}）` : ''}${e.proposalId ? ` #${e.proposalId}` : ''}`;
  });
  const more = count > 20 ? `\n… 还有 ${count - 20} 条` : '';
  return `${range}有 ${count} 条审计记录${scope}（最新的在前）：\n${lines.join('\n')}${more}`;
};

/** Chinese renderings of the read tools people ask most, by tool name. */
export const TOOL_RENDERERS_ZH: Record<string, ZhRenderer> = {
  query_metrics: queryMetrics,
  get_deployment_status: getDeploymentStatus,
  explain_incident: explainIncident,
  detect_anomalies: detectAnomalies,
  forecast_metrics: forecastMetrics,
  search_logs: searchLogs,
  analyze_logs: analyzeLogs,
  estimate_resources: estimateResources,
  probe_endpoint: probeEndpoint,
  list_audit: listAudit,
};
