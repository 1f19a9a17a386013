import { GPU_CATALOGUE } from '../../analysis/gpu-catalogue.ts';
import type { MetricKind } from '../../metrics/curated-metrics.ts';
import { extractDeployments } from './model-names.ts';

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
  dtype?: Dtype;
  /** Every precision or method named, in order ("awq vs gptq"), when more than one is. */
  dtypes?: Dtype[];
  contextLength?: number;
  concurrency?: number;
  requests?: number;
  jobId?: number;
  quoted?: string;
  logLevel?: 'error' | 'warn';
  sloTtftMs?: number;
  sloTpotMs?: number;
  trials?: number;
  /** How many log lines ("the last 100 lines"). */
  limit?: number;
  /** A person named as the actor of audited actions ("by bob", "has alice approved"). */
  user?: string;
  url?: string;
  /** A raw PromQL expression, taken as written. */
  promql?: string;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  /** The model name to send to a bare URL ("with model meta-llama/Meta-Llama-3-8B-Instruct"). */
  servedModel?: string;
  ratePerSecond?: number;
  durationSeconds?: number;
  promptTokens?: number;
  maxTokens?: number;
}

export type Dtype = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4' | 'awq' | 'gptq';

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
  // Two absolute times: "from 2024-11-28T10:00Z to 2024-11-28T12:00Z" is the ISO interval.
  const iso = String.raw`\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?`;
  const interval = new RegExp(String.raw`(${iso})\s*(?:to|until|till|-|–|~|/|至|到)\s*(${iso})`).exec(text);
  if (interval) return `${(interval[1] as string).toUpperCase()}/${(interval[2] as string).toUpperCase()}`;
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
  if (/\bthis week\b|本周|这周|这个星期/.test(text)) return 'last 7d';
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
export const METRIC_WORDS: Array<[MetricKind, RegExp]> = [
  ['ttft', /\bttft\b|time[\s-]to[\s-]first[\s-]token|first[\s-]token|首\s*token|首字|首词|首包/],
  [
    'tpot',
    /\btpot\b|\bitl\b|time per (output )?token|inter[\s-]?token|per[\s-]token latency|token latency|每个?\s*token|出字速度/,
  ],
  [
    'queue_time',
    /queue(ing)? time|time in (the )?queue|wait(ing)? time|how long\b.*\b(queue|waiting)|(sitting|waiting|wait|stuck) in (the )?queue|排队时间|排队.*多久|等待时间/,
  ],
  ['queue_depth', /queue (depth|length|size)|\bqueue\b|waiting requests|requests waiting|pending requests|backlog|排队|队列/],
  ['kv_cache_usage', /\bkv\b|kv[\s-]?cache|cache (usage|utili[sz]ation|use)|kv\s*缓存|缓存/],
  ['preemptions', /preempt|抢占/],
  ['error_rate', /error rate|errors?\b|\b5xx\b|failures?|failed requests|failing|% of\b.*\bfail|错误|报错|失败/],
  [
    'throughput',
    /throughput|thru-?put|\btput\b|token rate|tokens?\s*(per|\/|a)\s*s(ec(ond)?)?|\btok\/s\b|\btps\b|tokens? generated|吞吐|每秒.{0,6}token|token.{0,4}每秒/,
  ],
  [
    'request_rate',
    /requests? (per|\/) ?s(ec(ond)?)?|requests?\b.{0,30}\bper second|\brps\b|\bqps\b|request rate|requests? (count|volume)|number of requests|traffic|\bload\b|请求量|请求数|流量|qps|每秒.{0,4}请求/,
  ],
  ['running', /running requests|requests (are )?running|batch size|in[\s-]flight|concurrently|being processed|并发数|正在处理/],
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

// Precisions and quantisation methods as people write them; 4-bit weights mean int4 (AWQ/GPTQ-style).
const DTYPE_WORDS: Array<[Dtype, RegExp]> = [
  ['awq', /\bawq\b/g],
  ['gptq', /\bgptq\b/g],
  ['int4', /\bint[\s-]?4\b|\b4[\s-]?bits?\b|\bnf4\b|\bw4a\d+\b|4\s*(?:比特|位)|四比特|四位/g],
  ['int8', /\bint[\s-]?8\b|\b8[\s-]?bits?\b|\bw8a\d+\b|8\s*(?:比特|位)|八比特|八位/g],
  ['fp8', /\bfp[\s-]?8\b|\bfloat[\s-]?8\b|\be4m3\b/g],
  ['fp16', /\bfp[\s-]?16\b|\bfloat[\s-]?16\b|\bhalf[\s-]precision\b|\b16[\s-]?bits?\b|半精度/g],
  ['bf16', /\bbf[\s-]?16\b|\bbfloat[\s-]?16\b/g],
  ['fp32', /\bfp[\s-]?32\b|\bfloat[\s-]?32\b|\bfull[\s-]precision\b|\b32[\s-]?bits?\b|全精度/g],
];

/** Every precision or quantisation method the text names, in the order written. */
function extractDtypes(text: string): Dtype[] {
  const found: Array<[number, Dtype]> = [];
  for (const [dtype, pattern] of DTYPE_WORDS) {
    for (const match of text.matchAll(pattern)) found.push([match.index, dtype]);
  }
  return [...new Set(found.sort((a, b) => a[0] - b[0]).map(([, dtype]) => dtype))];
}

/** Ways a request names the person whose audited actions it asks about. */
const USER_PATTERNS: RegExp[] = [
  /<@([a-z0-9]+)>/i,
  /\b(?:by|from)\s+@?([a-z][\w.-]*)\b(?!\s*(?:deployment|pattern|template|metric|model|env))/,
  /\b(?:has|did|have)\s+@?([a-z][\w.-]*)\s+(?:been\s+)?(?:approve|approved|deploy|deployed|rolled|scaled|rejected|proposed|do|doing|done|change|changed|changing|touch|touched|run|ran|cancell?ed)\b/,
  /\b(?:everything|anything|what|all)\s+@?([a-z][\w.-]*)\s+(?:approved|deployed|rolled back|scaled|rejected|proposed|did|changed|touched|ran|cancell?ed)\b/,
  /(?:^|\s)@?([a-z][\w.-]*?)(?:'s)?\s+(?:actions|approvals|activity|changes|deploys|rollbacks|history)\b/,
  /(?:^|\s)@?([a-z][\w.-]*?)\s*(?:昨天|今天|最近|这周|本周)?\s*(?:都)?\s*的?\s*(?:做了|干了|操作|批准|审批|部署了|发布了|改了)/,
];

// Words after "by"/"has" that are not people ("by yesterday", "has anyone", "did it").
const NOT_A_USER =
  /^(the|a|an|any|anyone|anybody|someone|somebody|who|it|this|that|these|those|we|i|you|they|he|she|me|us|them|yesterday|today|tomorrow|now|then|last|this|next|default|hand|far|how|what|when|which|where|whom|all|each|every|prod|staging|dev|\d.*)$/;

/**
 * The text to search logs for: quoted text, a /regex/, the word after "for"/"containing",
 * a term before "errors"/"lines" ("NCCL errors"), or an upper-case token such as CUDA.
 */
function extractSearchTerm(normalised: string, deployments: readonly string[]): string | undefined {
  const isName = (term: string) => deployments.includes(term.toLowerCase());
  // Single quotes only when they are not apostrophes ("what's", "mistral-7b's").
  const quoted =
    /["“`]([^"”`]{1,200})["”`]/.exec(normalised) ?? /(?:^|[^A-Za-z0-9])['‘]([^'’]{1,200})['’](?![A-Za-z0-9])/.exec(normalised);
  if (quoted) return quoted[1];
  const regex = /(?:^|\s)(\/[^/\s][^/]{0,200}\/)(?=\s|$|[?.!,])/.exec(normalised);
  if (regex) return regex[1];
  const term = '([A-Za-z0-9_./:=-]*[A-Za-z][A-Za-z0-9_./:=-]*)';
  const after =
    new RegExp(String.raw`\b(?:for|containing|matching|grep|with|mentioning)\s+${term}\s*$`, 'i').exec(
      normalised.replace(/[?.!]+$/, ''),
    ) ??
    // "logs for OOM in the last hour": the term is followed by a time range.
    new RegExp(
      String.raw`\b(?:for|containing|matching|grep|mentioning)\s+${term}(?=\s+(?:in|on|over|since|from|during|today|yesterday|last|past|this)\b)`,
      'i',
    ).exec(normalised);
  if (after && !isName(after[1] as string) && !SEARCH_STOPWORDS.test(after[1] as string)) return after[1];
  const before = new RegExp(String.raw`${term}\s+(?:errors?|lines|messages|entries|exceptions|warnings|failures)\b`, 'gi');
  for (const match of normalised.matchAll(before)) {
    const candidate = (match[1] as string).replace(/'s$/i, '');
    if (!isName(candidate) && !SEARCH_STOPWORDS.test(candidate)) return candidate;
  }
  const chinese = [
    ...normalised.matchAll(
      /(?:包含|搜索|查找|有没有|出现|里的|中的|里搜|搜一下|搜|找一下|找)\s*([A-Za-z0-9_./:=-]+(?: [A-Za-z0-9_./:=-]+)*)/g,
    ),
  ].find((m) => !isName(m[1] as string));
  if (chinese && !SEARCH_STOPWORDS.test(chinese[1] as string)) return chinese[1];
  // An upper-case token that is not serving vocabulary (CUDA, NCCL, OOM, Xid) is what to look for.
  const shouting = [...normalised.matchAll(/\b([A-Z][A-Za-z0-9_]*[A-Z][A-Za-z0-9_]*)\b/g)].find(
    (m) => !isName(m[1] as string) && !VOCABULARY.test(m[1] as string),
  );
  return shouting?.[1];
}

// Words that describe log lines rather than name what is in them.
const SEARCH_STOPWORDS =
  /^(the|a|an|any|all|some|new|recent|latest|last|first|top|error|errors|warn|warning|warnings|info|debug|log|logs|lines?|messages?|its|their|my|our|his|her|this|that|these|those|more|most|same|other|fatal|critical|what|which|how|many|much|few|me|us|you|them|it|show|find|get|pull|see|check|for|with|and|or|of|in|on|at|to|from|kinds?|types?|sorts?|yesterday|today|tonight|now|before|earlier|usual|week|hour|day|morning|night|noon|\d+|(error|warn|warning|info|debug)[-_]?level)$/i;
// Upper-case words of the serving domain that are never the text searched for.
const VOCABULARY =
  /^(TTFT|TPOT|ITL|GPUS?|KV|AWQ|GPTQ|FP\d+|BF\d+|INT\d+|QPS|RPS|SLOS?|API|URL|LLMS?|VRAM|RCA|ETA|UTC|PST|EST|CET|GMT|AM|PM|OK|ASAP|PTAL|FYI|DEV|PROD|WARN|WARNING|ERROR|INFO|DEBUG|FATAL|CRITICAL|[AHL]\d+\w*|P\d+)$/;

const PROMQL_FUNCTION =
  /\b(?:sum|avg|max|min|count|rate|irate|increase|delta|deriv|histogram_quantile|quantile|topk|bottomk|stddev|absent|[a-z]+_over_time)\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\(/;
const PROMQL_SELECTOR =
  /[a-zA-Z_][\w]*:[a-zA-Z_][\w:]*(?:\{[^}]*\})?(?:\[\d+[smhdw]\])?|[a-zA-Z_][\w:]*\{[^}]*\}(?:\[\d+[smhdw]\])?/;

/** The end of the parenthesised group opening at `start`, or the text's end. */
function closingParen(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i + 1;
  }
  return text.length;
}

/** A raw PromQL expression in the request: quoted, after the word "promql", or a function call or selector. */
function extractPromql(text: string): string | undefined {
  const quoted = (/`([^`]+)`/.exec(text) ?? /["“]([^"”]+)["”]/.exec(text))?.[1];
  if (quoted && (PROMQL_FUNCTION.test(quoted) || PROMQL_SELECTOR.test(quoted))) return quoted.trim();
  const call = PROMQL_FUNCTION.exec(text);
  if (call) {
    let end = closingParen(text, call.index + call[0].length - 1);
    const grouping = /^\s*(?:by|without)\s*\([^)]*\)/.exec(text.slice(end));
    if (grouping) end += grouping[0].length;
    return text.slice(call.index, end).trim();
  }
  const selector = PROMQL_SELECTOR.exec(text);
  if (selector && /\{|\[|:/.test(selector[0]) && !/^(https?|[a-z]+:\/\/)/.test(selector[0]) && !/^\d/.test(selector[0]))
    return /^[a-z]+:\d/.test(selector[0]) ? undefined : selector[0];
  return undefined;
}

/** Milliseconds of a latency bound after one of the metric's words ("ttft under 0.5 s" → 500). */
function sloOf(text: string, metricWords: string): number | undefined {
  const bound = `(?:under|below|<=?|≤|within|at most|less than|no more than|max(?:imum)?|不超过|低于|小于|控制在)?`;
  const match = new RegExp(
    String.raw`(?:${metricWords})[^0-9]{0,30}?${bound}\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|millis|s|secs?|seconds?|毫秒|秒)(?![a-z])`,
  ).exec(text);
  if (!match) return undefined;
  const seconds = /^(s|sec|secs|second|seconds|秒)$/.test(match[2] as string);
  return Math.round(Number(match[1]) * (seconds ? 1000 : 1));
}

/**
 * Reads entities out of a request. `original` keeps the case of quoted text and search
 * terms; matching runs on the NFKC-normalised lower-case form (full-width digits and
 * colons in Chinese text become ASCII).
 */
export function extractEntities(original: string, knownDeployments: readonly string[] = []): Entities {
  const written = original.normalize('NFKC').replace(/(\d),(\d{3})\b/g, '$1$2');
  // A PromQL expression is taken whole; its "[5m]" or label values are not names, ranges or numbers of the request.
  const promql = extractPromql(written);
  const normalised = promql ? written.replace(promql, ' ').replace(/`\s*`|"\s*"/g, ' ') : written;
  const text = normalised.toLowerCase();
  const entities: Entities = { deployments: extractDeployments(text, knownDeployments) };
  if (promql) entities.promql = promql;

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
    /\b(?:scale|replicas?|replica count|instances|pods|copies)\b.*?\bto\s+(\d+)\b(?!\s*(?:gpus?|cards|%|ms|s\b))/.exec(text) ??
    /(?:到|至|改成|改为|设为|设成|设置为|设置成|设到|变成|调到|调成|调整为|调整到)\s*(\d+)\s*(?:个)?/.exec(text);
  // "add two more replicas" is relative to a count the planner cannot see: leave it unset so it asks.
  const relative =
    /\b(add(ing)?|another|extra)\b[^.]*?\b(replicas?|instances|pods|copies)\b|\bmore\s+(replicas?|instances|pods|copies)\b|再加|多加|再增加/;
  if (replicas && (!relative.test(text) || /\b(total|in total|altogether|overall)\b|总共|一共|总数/.test(text))) {
    const value = toNumber(replicas[1]);
    if (value !== undefined) entities.replicas = value;
  }
  if (
    /\b(?:to|down to)\s+(?:zero|nothing|none|0)\b(?!\s*(?:%|ms|s\b|gpus?))|(?:到|至|成)\s*0\s*(?:个)?(?:副本|实例)?(?![\d.])/.test(
      text,
    )
  )
    entities.replicas = 0;

  Object.assign(entities, extractGpu(text));
  const dtypes = extractDtypes(text);
  if (dtypes[0]) entities.dtype = dtypes[0];
  if (dtypes.length > 1) entities.dtypes = dtypes;

  const context =
    /(\d+(?:\.\d+)?)\s*(k)?[\s-]*(?:tokens?[\s-]+)?(?:of\s+)?(?:context|ctx|上下文)/.exec(text) ??
    /(?:context|ctx|上下文)\s*(?:length|window|长度)?\s*(?:of|=|:)?\s*(\d+(?:\.\d+)?)\s*(k)?/.exec(text);
  if (context) entities.contextLength = Math.round(Number(context[1]) * (context[2] ? 1024 : 1));

  const concurrency =
    /(\d+)\s*(?:at a time|at once|in parallel|concurrent|parallel|simultaneous)|concurrency\s*(?:of|=|:)?\s*(\d+)|(\d+)\s*(?:users|streams|sequences)|并发\s*(\d+)|(\d+)\s*并发/.exec(
      text,
    );
  if (concurrency) entities.concurrency = Number(concurrency.slice(1).find((g) => g !== undefined));

  const requests =
    new RegExp(
      String.raw`\b${NUM}\s+(?:[a-z-]+\s+)?(?:requests?|reqs?|calls|prompts|queries|completions|pings)(?!\s*(?:per|\/|a)\s*(?:s|sec|second|min))\b`,
    ).exec(text) ??
    /(\d+)\s*(?:times|次)(?!\s*(?:per|a)\b)/.exec(text) ??
    /(\d+|[一两二三四五六七八九十]+)\s*个?[\u4e00-\u9fff]{0,3}?(?:请求|调用)/.exec(text);
  // "once", "twice", "发个请求": a count in words.
  const inWords = /\b(once|twice)\b|(?:发|打)个(?:测试)?请求/.exec(text);
  if (inWords && !requests) entities.requests = inWords[1] === 'twice' ? 2 : 1;
  if (requests) {
    const count = /^a\s+(couple|few)/.test(requests[0]) ? undefined : toNumber(requests[1]);
    if (count !== undefined) entities.requests = count;
  }
  const rate =
    /(\d+(?:\.\d+)?)\s*(?:rps|qps|req\/s|requests?\s*(?:per|\/|a)\s*s(?:ec(?:ond)?)?)\b/.exec(text) ??
    /每秒\s*(\d+(?:\.\d+)?)\s*个?请求|(\d+(?:\.\d+)?)\s*(?:个)?请求\s*每秒/.exec(text);
  if (rate) entities.ratePerSecond = Number(rate[1] ?? rate[2]);
  const duration =
    /\bfor\s+(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?)\b/.exec(text) ??
    /持续\s*(\d+(?:\.\d+)?)\s*(秒|分钟)/.exec(text);
  if (duration) entities.durationSeconds = Number(duration[1]) * (/^(m|min|分)/.test(duration[2] as string) ? 60 : 1);
  const promptTokens =
    /(\d+(?:\.\d+)?)\s*(k)?[\s-]*tokens?\s+(?:long\s+)?prompts?/.exec(text) ??
    /prompts?\s*(?:of|length|len|size|with|=|:)?\s*(\d+(?:\.\d+)?)\s*(k)?\s*(?:tokens?)?/.exec(text) ??
    /(\d+(?:\.\d+)?)\s*(k)?\s*(?:tokens?\s*)?(?:的)?(?:提示|输入)/.exec(text);
  if (promptTokens) entities.promptTokens = Math.round(Number(promptTokens[1]) * (promptTokens[2] ? 1024 : 1));
  const maxTokens =
    /max[\s_-]?tokens\s*(?:of|=|:)?\s*(\d+)/.exec(text) ??
    /(\d+)\s*(?:output|generated|new|completion)\s+tokens/.exec(text) ??
    /(?:generate|output)\s+(\d+)\s+tokens/.exec(text);
  if (maxTokens) entities.maxTokens = Number(maxTokens[1]);
  const url = /\bhttps?:\/\/[^\s"'<>]+/.exec(normalised);
  if (url) {
    entities.url = url[0].replace(/[.,;)]+$/, '');
    // The model to ask a bare URL for, as written (case matters to the server).
    const served = /\bmodel\s*[=:]?\s*([A-Za-z0-9][\w./:-]*)/.exec(normalised.replace(url[0], ' '));
    if (served) entities.servedModel = served[1] as string;
  }

  const job =
    /\bjob\s*(?:#|no\.?|number|id)?\s*(\d+)\b/.exec(text) ??
    /\b(?:run|task)\s*(?:#|no\.?|number|id)\s*(\d+)\b/.exec(text) ??
    /(?:任务|作业)\s*#?\s*(\d+)/.exec(text) ??
    /(\d+)\s*号\s*[\u4e00-\u9fff]{0,4}?(?:任务|作业)/.exec(text) ??
    /#(\d+)\b/.exec(text);
  if (job) entities.jobId = Number(job[1]);

  const maxNumSeqs = /max[\s_-]?num[\s_-]?seqs\s*(?:of|=|:|to|at)?\s*(\d+)/.exec(text);
  if (maxNumSeqs) entities.maxNumSeqs = Number(maxNumSeqs[1]);
  const maxBatched = /max[\s_-]?num[\s_-]?batched[\s_-]?tokens\s*(?:of|=|:|to|at)?\s*(\d+)(k)?/.exec(text);
  if (maxBatched) entities.maxNumBatchedTokens = Number(maxBatched[1]) * (maxBatched[2] ? 1024 : 1);

  const searchTerm = extractSearchTerm(normalised, entities.deployments);
  if (searchTerm) entities.quoted = searchTerm;
  const limit =
    /\b(?:last|latest|recent|newest|first|top)?\s*(\d+)\s*(?:log\s+)?(?:lines|entries|log messages)\b|最近\s*(\d+)\s*(?:条|行)/.exec(
      text,
    );
  if (limit) entities.limit = Number(limit[1] ?? limit[2]);
  // The first phrasing that names someone who is a person, not a time or a pronoun ("from last week").
  const user = USER_PATTERNS.map((pattern) => pattern.exec(pattern.flags.includes('i') ? normalised : text)?.[1]).find(
    (name) => name !== undefined && !NOT_A_USER.test(name) && !entities.deployments.includes(name),
  );
  if (user) entities.user = user;

  if (/\berrors?\b|\bexceptions?\b|\bfail|错误|报错|异常日志/.test(text)) entities.logLevel = 'error';
  else if (/\bwarn(ing)?s?\b|警告/.test(text)) entities.logLevel = 'warn';

  const ttftSlo = sloOf(text, String.raw`ttft|first[\s-]token|首\s*token|首字`);
  if (ttftSlo !== undefined) entities.sloTtftMs = ttftSlo;
  const tpotSlo = sloOf(text, String.raw`tpot|per[\s-]token|inter[\s-]token|itl|每个?\s*token`);
  if (tpotSlo !== undefined) entities.sloTpotMs = tpotSlo;
  const trials = /(\d+)\s*(?:trials|tries|configs|configurations|rounds|iterations|steps|次试验|组配置|轮|次实验|组)/.exec(text);
  if (trials) entities.trials = Number(trials[1]);

  return entities;
}
