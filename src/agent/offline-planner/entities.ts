import { GPU_CATALOGUE } from '../../analysis/gpu-catalogue.ts';
import { findModel } from '../../analysis/model-catalogue.ts';
import type { MetricKind } from '../../metrics/curated-metrics.ts';

/** Everything the offline planner can read out of one request, in English or Chinese. */
export interface Entities {
  deployments: string[];
  environment?: 'prod' | 'staging' | 'dev';
  range?: string;
  horizon?: string;
  metric?: MetricKind;
  quantile?: number;
  version?: string;
  replicas?: number;
  gpuType?: string;
  gpuCount?: number;
  dtype?: 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4' | 'awq' | 'gptq';
  contextLength?: number;
  concurrency?: number;
  requests?: number;
  jobId?: number;
  quoted?: string;
  logLevel?: 'error' | 'warn';
  sloTtftMs?: number;
  sloTpotMs?: number;
  trials?: number;
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
  一: 1,
  两: 2,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
  单: 1,
};
const NUM = String.raw`(\d+|an?|one|single|two|three|four|five|six|seven|eight|nine|ten|twelve|[一两二三四五六七八九十单])`;

/** Reads a number written as digits, an English word or a Chinese numeral (up to 99). */
export function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return 1;
  if (/^\d+$/.test(text)) return Number(text);
  if (text in NUMBER_WORDS) return NUMBER_WORDS[text];
  const tens = /^([二两三四五六七八九]?)十([一二三四五六七八九]?)$/.exec(text);
  if (tens) return (tens[1] ? (NUMBER_WORDS[tens[1]] ?? 1) : 1) * 10 + (tens[2] ? (NUMBER_WORDS[tens[2]] ?? 0) : 0);
  return undefined;
}

const UNIT: Record<string, string> = {
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  分钟: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  小时: 'h',
  个小时: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  天: 'd',
  w: 'w',
  wk: 'w',
  week: 'w',
  weeks: 'w',
  周: 'w',
  星期: 'w',
  个星期: 'w',
  month: 'd30',
  months: 'd30',
  个月: 'd30',
  月: 'd30',
};

function durationOf(count: number, unitWord: string): string | undefined {
  const unit = UNIT[unitWord];
  if (!unit) return undefined;
  return unit === 'd30' ? `${count * 30}d` : `${count}${unit}`;
}

const EN_UNITS = 'minutes|minute|mins|min|hours|hour|hrs|hr|h|days|day|d|weeks|week|wk|w|months|month|m';
const ZH_UNITS = '分钟|个小时|小时|天|个星期|星期|周|个月|月';

function extractRange(text: string): string | undefined {
  const en = new RegExp(String.raw`\b(?:last|past|previous)\s+${NUM}?\s*(${EN_UNITS})\b`).exec(text);
  if (en) {
    const duration = durationOf(toNumber(en[1]) ?? 1, en[2] as string);
    if (duration) return `last ${duration}`;
  }
  const zh = new RegExp(String.raw`(?:最近|过去|近)\s*(\d+|[一两二三四五六七八九十]+)?\s*(${ZH_UNITS})`).exec(text);
  if (zh) {
    const duration = durationOf(toNumber(zh[1]) ?? 1, zh[2] as string);
    if (duration) return `last ${duration}`;
  }
  if (/(?:最近|过去|近)\s*半\s*个?小时/.test(text)) return 'last 30m';
  const since = /\b(?:since|from|after|at|around)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?(?![\d.])/.exec(text);
  if (since && (since[2] !== undefined || since[3] !== undefined)) return `since ${clock(since[1], since[2], since[3])}`;
  const zhSince = /(?:从|自)?\s*(\d{1,2})\s*(?:[:：](\d{2})|点)\s*(?:以来|开始|之后|起|后)/.exec(text);
  if (zhSince) return `since ${clock(zhSince[1], zhSince[2], undefined)}`;
  if (/\byesterday\b|昨天/.test(text)) return 'yesterday';
  if (/\btoday\b|\bthis morning\b|今天|今日/.test(text)) return 'today';
  if (/\bright now\b|\bcurrently\b|\bat the moment\b|现在|当前|目前/.test(text)) return 'last 5m';
  if (/\bthis week\b|本周/.test(text)) return 'last 7d';
  return undefined;
}

function clock(hours: string | undefined, minutes: string | undefined, meridiem: string | undefined): string {
  let h = Number(hours ?? 0) % 24;
  if (meridiem === 'pm' && h < 12) h += 12;
  if (meridiem === 'am' && h === 12) h = 0;
  return `${String(h).padStart(2, '0')}:${minutes ?? '00'}`;
}

function extractHorizon(text: string): string | undefined {
  const en = new RegExp(String.raw`\b(?:next|coming|following)\s+${NUM}?\s*(${EN_UNITS})\b`).exec(text);
  if (en) return durationOf(toNumber(en[1]) ?? 1, en[2] as string);
  const zh = new RegExp(String.raw`(?:未来|接下来)\s*(\d+|[一两二三四五六七八九十]+)?\s*(${ZH_UNITS})`).exec(text);
  if (zh) return durationOf(toNumber(zh[1]) ?? 1, zh[2] as string);
  if (/下周|下个星期/.test(text)) return '7d';
  if (/下个月/.test(text)) return '30d';
  if (/\btomorrow\b|明天/.test(text)) return '1d';
  return undefined;
}

/** Curated metric by the words people use; order matters (specific before general). */
const METRIC_WORDS: Array<[MetricKind, RegExp]> = [
  ['ttft', /\bttft\b|time[\s-]to[\s-]first[\s-]token|first[\s-]token|首\s*token|首字|首词|首包/],
  [
    'tpot',
    /\btpot\b|\bitl\b|time per (output )?token|inter[\s-]?token|per[\s-]token latency|token latency|每个?\s*token|出字速度/,
  ],
  ['queue_time', /queue(ing)? time|time in (the )?queue|wait(ing)? time|排队时间/],
  ['queue_depth', /queue (depth|length|size)|\bqueue\b|waiting requests|requests waiting|pending requests|backlog|排队|队列/],
  ['kv_cache_usage', /kv[\s-]?cache|cache (usage|utili[sz]ation|use)|kv\s*缓存|缓存/],
  ['preemptions', /preempt|抢占/],
  ['error_rate', /error rate|errors?\b|\b5xx\b|failures?|failed requests|错误|报错|失败/],
  ['throughput', /throughput|tokens?\s*(per|\/)\s*s(ec(ond)?)?|\btok\/s\b|\btps\b|吞吐/],
  ['request_rate', /requests? (per|\/) ?s(ec(ond)?)?|\brps\b|\bqps\b|request rate|traffic|\bload\b|请求量|请求数|流量|qps/],
  ['running', /running requests|batch size|in[\s-]flight|并发数/],
  ['e2e_latency', /e2e|end[\s-]to[\s-]end|latency|response time|slow|延迟|时延|耗时|慢/],
];

function extractQuantile(text: string): number | undefined {
  const p = /\bp(\d{2}(?:\.\d+)?)\b|(\d{2}(?:\.\d+)?)(?:th)?\s*percentile|(\d{2})\s*分位/.exec(text);
  if (p) {
    const value = Number(p[1] ?? p[2] ?? p[3]) / 100;
    if (value > 0 && value < 1) return value;
  }
  if (/\bmedian\b|中位数/.test(text)) return 0.5;
  return undefined;
}

const GPU_PATTERN = GPU_CATALOGUE.flatMap((gpu) => [gpu.id.toLowerCase(), ...gpu.aliases])
  .sort((a, b) => b.length - a.length)
  .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[\s-]/g, '[\\s-]?'))
  .join('|');

function extractGpu(text: string): { gpuType?: string; gpuCount?: number } {
  const withCount = new RegExp(String.raw`${NUM}\s*(?:x|×|\*)?\s*(?:张|块|个)?\s*(?:nvidia\s+)?(${GPU_PATTERN})s?\b`).exec(text);
  if (withCount) {
    const count = toNumber(withCount[1]);
    return { gpuType: normaliseGpu(withCount[2] as string), ...(count !== undefined ? { gpuCount: count } : {}) };
  }
  const type = new RegExp(String.raw`\b(${GPU_PATTERN})s?\b`).exec(text);
  const count = new RegExp(String.raw`${NUM}\s*(?:x\s*)?(?:gpus?|cards?|张卡|块卡|卡)`).exec(text) ?? /(单)卡/.exec(text);
  const gpuCount = count ? toNumber(count[1]) : undefined;
  return {
    ...(type ? { gpuType: normaliseGpu(type[1] as string) } : {}),
    ...(gpuCount !== undefined ? { gpuCount } : {}),
  };
}

function normaliseGpu(written: string): string {
  const key = written.replace(/\s+/g, ' ').trim();
  const gpu = GPU_CATALOGUE.find(
    (g) => g.id.toLowerCase() === key || g.aliases.some((a) => a.replace(/[\s-]/g, '') === key.replace(/[\s-]/g, '')),
  );
  return gpu?.id ?? written.toUpperCase();
}

const NAME_TOKEN = /[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+|\b\d+(?:\.\d+)?[bm]\b/g;
const SIZE_IN_NAME = /\d(?:\.\d+)?[bm]\b|\d+x\d+b\b|\d+[bm]-|-mini|-small|-medium|-large/;

/** Deployment or model names as written: tokens like "llama-3-8b", "mixtral-8x7b", "phi-3-mini", or a bare "13b". */
function extractDeployments(text: string, known: readonly string[]): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(NAME_TOKEN)) {
    const token = match[0].replace(/[.\-_]+$/, '');
    const isName = known.includes(token) || findModel(token) !== undefined || SIZE_IN_NAME.test(token);
    if (isName && !/^(int|fp|bf)\d+$/.test(token) && !found.includes(token)) found.push(token);
  }
  for (const name of known) {
    if (
      !found.includes(name) &&
      new RegExp(`(^|[^a-z0-9-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9-])`).test(text)
    ) {
      found.push(name);
    }
  }
  return found;
}

function extractDtype(text: string): Entities['dtype'] {
  const named = /\b(int4|int8|fp8|fp16|bf16|fp32|awq|gptq|float16|bfloat16)\b/.exec(text);
  if (named)
    return (
      ({ float16: 'fp16', bfloat16: 'bf16' } as Record<string, Entities['dtype']>)[named[1] as string] ??
      (named[1] as Entities['dtype'])
    );
  if (/\b4[\s-]?bits?\b|4\s*比特/.test(text)) return 'int4';
  if (/\b8[\s-]?bits?\b|8\s*比特/.test(text)) return 'int8';
  return undefined;
}

/**
 * Reads entities out of a request. `original` keeps the case of quoted text and search
 * terms; matching runs on the NFKC-normalised lower-case form (full-width digits and
 * colons in Chinese text become ASCII).
 */
export function extractEntities(original: string, knownDeployments: readonly string[] = []): Entities {
  const normalised = original.normalize('NFKC');
  const text = normalised.toLowerCase();
  const entities: Entities = { deployments: extractDeployments(text, knownDeployments) };

  // Environment words inside a deployment name ("chat-prod") do not name an environment.
  const withoutNames = entities.deployments.reduce((t, name) => t.split(name).join(' '), text);
  if (/\bprod(uction)?\b|生产|线上/.test(withoutNames)) entities.environment = 'prod';
  else if (/\bstag(e|ing)\b|预发|测试环境|灰度/.test(withoutNames)) entities.environment = 'staging';
  else if (/\bdev(elopment)?\b|开发环境/.test(withoutNames)) entities.environment = 'dev';

  const range = extractRange(text);
  if (range) entities.range = range;
  const horizon = extractHorizon(text);
  if (horizon) entities.horizon = horizon;

  const metric = METRIC_WORDS.find(([, pattern]) => pattern.test(text));
  if (metric) entities.metric = metric[0];
  const quantile = extractQuantile(text);
  if (quantile !== undefined) entities.quantile = quantile;

  const version =
    /\bv(\d+(?:\.\d+)*[a-z0-9-]*)\b/.exec(text) ??
    /\bversion\s+([a-z0-9][\w.-]*)/.exec(text) ??
    /版本\s*([a-z0-9][\w.-]*)/.exec(text);
  if (version)
    entities.version =
      version[0].startsWith('v') && !version[0].startsWith('version') ? `v${version[1]}` : (version[1] as string);

  const replicas =
    new RegExp(String.raw`${NUM}\s*(?:more\s+)?(?:replicas?|copies|instances|pods|个?副本|个?实例)`).exec(text) ??
    /\bscale\b.*?\bto\s+(\d+)\b/.exec(text) ??
    /(?:到|至)\s*(\d+)\s*(?:个)?/.exec(text);
  // "add two more replicas" is relative to a count the planner cannot see: leave it unset so it asks.
  const relative =
    /\b(add(ing)?|another|extra)\b[^.]*?\b(replicas?|instances|pods|copies)\b|\bmore\s+(replicas?|instances|pods|copies)\b|再加|多加|再增加/;
  if (replicas && !relative.test(text)) {
    const value = toNumber(replicas[1]);
    if (value !== undefined) entities.replicas = value;
  }
  if (/scale\s+(?:down\s+)?(?:\S+\s+)?(?:down\s+)?to\s+zero|缩容到\s*0|\bto\s+0\b/.test(text)) entities.replicas = 0;

  Object.assign(entities, extractGpu(text));
  const dtype = extractDtype(text);
  if (dtype) entities.dtype = dtype;

  const context =
    /(\d+(?:\.\d+)?)\s*(k)?\s*(?:tokens?\s+)?(?:of\s+)?(?:context|ctx|上下文)/.exec(text) ??
    /(?:context|ctx|上下文)\s*(?:length|window|长度)?\s*(?:of|=|:)?\s*(\d+(?:\.\d+)?)\s*(k)?/.exec(text);
  if (context) entities.contextLength = Math.round(Number(context[1]) * (context[2] ? 1024 : 1));

  const concurrency =
    /(\d+)\s*(?:concurrent|parallel|simultaneous)|concurrency\s*(?:of|=|:)?\s*(\d+)|(\d+)\s*(?:users|streams|sequences)|并发\s*(\d+)|(\d+)\s*并发/.exec(
      text,
    );
  if (concurrency) entities.concurrency = Number(concurrency.slice(1).find((g) => g !== undefined));

  const requests = /(\d+)\s*(?:requests?|reqs?|个?请求)/.exec(text);
  if (requests) entities.requests = Number(requests[1]);

  const job = /\bjob\s*(?:#|no\.?|number)?\s*(\d+)/.exec(text) ?? /任务\s*#?\s*(\d+)/.exec(text) ?? /#(\d+)\b/.exec(text);
  if (job) entities.jobId = Number(job[1]);

  const quoted = /["“'‘`]([^"”'’`]{1,200})["”'’`]/.exec(normalised);
  const searchTerm =
    quoted ??
    /\b(?:for|containing|matching|grep|with)\s+([A-Za-z0-9_./:-]*[A-Za-z][A-Za-z0-9_./:-]*)\s*$/i.exec(
      normalised.replace(/[?.!]+$/, ''),
    ) ??
    // "logs for OOM in the last hour": the term is followed by a time range.
    /\b(?:for|containing|matching|grep)\s+([A-Za-z0-9_./:-]*[A-Za-z][A-Za-z0-9_./:-]*)(?=\s+(?:in|over|since|from|during|today|yesterday|last|past|this)\b)/i.exec(
      normalised,
    ) ??
    [...normalised.matchAll(/(?:包含|搜索|查找)\s*([A-Za-z0-9_./:-]+)/g)].find(
      (m) => !entities.deployments.includes((m[1] as string).toLowerCase()),
    );
  if (searchTerm) entities.quoted = searchTerm[1] as string;

  if (/\berrors?\b|\bexceptions?\b|\bfail|错误|报错|异常日志/.test(text)) entities.logLevel = 'error';
  else if (/\bwarn(ing)?s?\b|警告/.test(text)) entities.logLevel = 'warn';

  const ttftSlo =
    /(?:ttft|first token)[^0-9]{0,30}?(?:under|below|<|<=|within|at most|不超过|低于)\s*(\d+(?:\.\d+)?)\s*(ms|s)\b/.exec(text);
  if (ttftSlo) entities.sloTtftMs = Number(ttftSlo[1]) * (ttftSlo[2] === 's' ? 1000 : 1);
  const tpotSlo =
    /(?:tpot|per[\s-]token|inter[\s-]token|itl)[^0-9]{0,30}?(?:under|below|<|<=|within|at most|不超过|低于)\s*(\d+(?:\.\d+)?)\s*(ms|s)\b/.exec(
      text,
    );
  if (tpotSlo) entities.sloTpotMs = Number(tpotSlo[1]) * (tpotSlo[2] === 's' ? 1000 : 1);
  const trials = /(\d+)\s*(?:trials|tries|configs|configurations|次试验|组配置)/.exec(text);
  if (trials) entities.trials = Number(trials[1]);

  return entities;
}
