import type { MetricKind } from '../../metrics/curated-metrics.ts';

/** Whether a request is written in Chinese (any Han character): its answer is then written in Chinese. */
export function isChinese(text: string): boolean {
  return /[\u4e00-\u9fff]/.test(text);
}

/** The curated metrics in Chinese, as `CURATED_METRICS[kind].about` says them in English. */
export const METRIC_ZH: Record<MetricKind, string> = {
  ttft: '首 token 时间',
  tpot: '每个输出 token 的时间',
  e2e_latency: '端到端请求延迟',
  queue_time: '请求排队时间',
  request_rate: '每秒请求数',
  throughput: '每秒生成 token 数',
  error_rate: '失败请求占比',
  queue_depth: '等待中的请求数',
  running: '运行中的请求数',
  kv_cache_usage: 'KV 缓存使用率',
  preemptions: '每秒抢占次数',
};

const UNIT_ZH: Record<string, string> = { s: '秒', m: '分钟', h: '小时', d: '天', w: '周' };

/** A duration such as "7d" or "30m" in Chinese ("7 天", "30 分钟"); anything else as written. */
export function durationZh(duration: string): string {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(duration.trim());
  return match ? `${match[1]} ${UNIT_ZH[match[2] as string]}` : duration;
}

/** A time range label ("last 1h", "today", "since 14:00", "<ISO>/<ISO>") in Chinese; anything else as written. */
export function rangeZh(label: string): string {
  const text = label.trim();
  const last = /^last\s+(\S+)$/i.exec(text);
  if (last) return `最近 ${durationZh(last[1] as string)}`;
  if (/^today$/i.test(text)) return '今天';
  if (/^yesterday$/i.test(text)) return '昨天';
  const since = /^since\s+(\d{1,2}:\d{2})$/i.exec(text);
  if (since) return `${since[1]} 以来`;
  const [from, to] = text.split('/');
  if (from && to) return `${from} 至 ${to}`;
  return text;
}

/** A time range as an adverbial ("最近 1 小时内", "今天", "14:00 以来"), to follow "在". */
export function duringZh(label: string): string {
  const text = label.trim();
  if (/^last\s+/i.test(text)) return `${rangeZh(text)}内`;
  if (text.includes('/')) return `${rangeZh(text)}期间`;
  return rangeZh(text);
}

/** Risk levels of the approval gate in Chinese. */
export const RISK_ZH: Record<string, string> = { read: '只读', write: '写操作', dangerous: '高风险' };

/** Environments in Chinese, with the English name kept so it can be typed back. */
export function environmentZh(environment: string): string {
  const name = { prod: '生产', staging: '预发', dev: '开发' }[environment];
  return name ? `${name}（${environment}）` : environment;
}
