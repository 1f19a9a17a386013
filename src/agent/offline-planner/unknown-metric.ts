import { CURATED_METRICS, METRIC_KINDS } from '../../metrics/curated-metrics.ts';
import { METRIC_WORDS } from './entities.ts';
import { METRIC_ZH } from './zh-words.ts';

// Hardware and hosts, whose measures the model servers' metrics do not cover.
const RESOURCE =
  'gpus?|cpus?|disks?|hard drives?|ssds?|storage|file ?systems?|network|nics?|nvlink|pcie|fans?|hosts?|nodes?|machines?|ram|memory|hbm|sms?|power|containers?';
// What is measured of a resource.
const MEASURE = String.raw`utili[sz]ation|util|usage|load|temperatures?|temps?|power|wattage|watts|draw|consumption|bandwidth|speed|clocks?|frequency|occupancy|saturation|pressure|i\/?o|iops|free space|space|memory`;
// Hardware that moves bytes rather than tokens.
const LINK = 'disks?|ssds?|storage|network|nics?|nvlink|pcie|infiniband|ib';
// Measures only hardware has, whatever they are of ("temperature" as a sampling setting is followed by its value).
const HARDWARE_MEASURE = String.raw`temperatures?(?!\s*(?:=|:|setting|param|of\s+\d|\d))|temps\b|power (?:draw|usage|consumption)|wattage|fan speed|clock speed|energy use`;
// Words that measure something, after which "of/for <deployment>" names what is measured.
const MEASURE_HEAD = /^(rate|ratio|count|speed|level|time|percentage|utili[sz]ation|usage)$/;
const FLEET_NOUN = /^(gpus?|replicas?|jobs?|pods?|instances?|cards?|nodes?|deployments?|trials?|versions?)$/;
const ARTICLES =
  /^(the|a|an|its|their|our|my|this|that|these|those|last|first|next|same|any|some|what|what's|whats|is|are|was|show|plot|graph|chart|me|current|average|avg|mean|total|overall|p\d{2})$/;

const ZH_RESOURCE = 'gpu|cpu|显卡|磁盘|硬盘|存储|网络|网卡|内存|风扇|节点|机器|主机|容器';
const ZH_MEASURE = '利用率|使用率|占用率|占用|用量|使用量|负载|温度|功耗|功率|带宽|频率|转速|读写|io';
const ZH_HARDWARE_MEASURE = '温度|功耗|功率|耗电|转速';

/** Whether a phrase names a curated metric ("kv cache usage", "error rate", "p95 latency"). */
function isCurated(phrase: string): boolean {
  return METRIC_WORDS.some(([, pattern]) => pattern.test(phrase));
}

/**
 * A metric-like phrase of the request that no curated metric answers ("gpu utilization",
 * "power draw", "disk usage", "GPU 温度", "cache hit rate of mistral-7b"), or undefined.
 * Hardware measures are never curated; the KV cache, which lives in GPU memory, is.
 */
export function unknownMetricPhrase(text: string): string | undefined {
  const found = [
    new RegExp(String.raw`\b(?:${RESOURCE})(?:[\s-]+[a-z]+)?[\s-]+(?:${MEASURE})\b`).exec(text),
    // Links and disks move bytes; "gpu throughput" in serving talk means tokens per second, which is curated.
    new RegExp(String.raw`\b(?:${LINK})(?:[\s-]+[a-z]+)?[\s-]+(?:throughput|traffic|transfer rate)\b`).exec(text),
    new RegExp(
      String.raw`\b(?:${MEASURE})\s+(?:of|on|for|across|per)\s+(?:the\s+|all\s+|each\s+|every\s+)?(?:${RESOURCE})\b`,
    ).exec(text),
    new RegExp(String.raw`\b(?:${HARDWARE_MEASURE})`).exec(text),
    new RegExp(String.raw`(?:${ZH_RESOURCE})\s*的?\s*(?:${ZH_MEASURE})`).exec(text),
    new RegExp(ZH_HARDWARE_MEASURE).exec(text),
  ].find(
    (match) => match !== null && !/kv|cache|缓存/.test(text.slice(Math.max(0, match.index - 12), match.index + match[0].length)),
  );
  if (found) return found[0].trim();
  // "the cache hit rate of mistral-7b": a measuring word with what it measures, of something.
  const words = text.split(/\s+/).map((word) => word.replace(/^[^a-z0-9]+|[^a-z0-9%]+$/g, ''));
  for (let i = 1; i < words.length - 1; i++) {
    if (!MEASURE_HEAD.test(words[i] as string) || !/^(of|for|on|in|across)$/.test(words[i + 1] as string)) continue;
    const before: string[] = [];
    for (let j = i - 1; j >= 0 && before.length < 2 && /^[a-z0-9][a-z0-9-]*$/.test(words[j] as string); j--) {
      if (ARTICLES.test(words[j] as string)) break;
      before.unshift(words[j] as string);
    }
    const phrase = [...before, words[i]].join(' ');
    // "gpu count", "replica count": things the fleet has, which its status says, not metrics.
    const fleetCount = words[i] === 'count' && FLEET_NOUN.test(before.at(-1) ?? '');
    if (before.length > 0 && !fleetCount && !isCurated(phrase)) return phrase;
  }
  for (const match of text.matchAll(/([\u4e00-\u9fff]{1,4})(命中率|成功率|次数|速率)/g)) {
    const phrase = `${(match[1] as string).replace(/^.*[的和与及]/, '')}${match[2]}`;
    if (!isCurated(phrase)) return phrase;
  }
  return undefined;
}

/** How a reply mentions raw PromQL: only where a Prometheus server is configured, or conditionally when that is not known. */
export type RawPromql = boolean | undefined;

/** What the planner says about a metric it does not have: the curated metrics, and raw PromQL where that works. */
export function unknownMetricReply(
  phrase: string,
  deployment: string | undefined,
  rawPromql: RawPromql,
): { en: string; zh: string } {
  const example = deployment ?? 'mistral-7b';
  const en = METRIC_KINDS.map((kind) => `${CURATED_METRICS[kind].about} (${kind})`).join(', ');
  const zh = METRIC_KINDS.map((kind) => `${METRIC_ZH[kind]}（${kind}）`).join('、');
  const promqlEn =
    rawPromql === true
      ? ' Raw PromQL works too, e.g. "avg(DCGM_FI_DEV_GPU_UTIL)" where NVIDIA\'s DCGM exporter is scraped.'
      : rawPromql === undefined
        ? ' With a Prometheus server configured (PROMETHEUS_URL), raw PromQL works too, e.g. "avg(DCGM_FI_DEV_GPU_UTIL)" where NVIDIA\'s DCGM exporter is scraped.'
        : '';
  const promqlZh =
    rawPromql === true
      ? '也可以直接写 PromQL，例如 “avg(DCGM_FI_DEV_GPU_UTIL)”（需采集 NVIDIA DCGM exporter）。'
      : rawPromql === undefined
        ? '配置了 Prometheus 服务器（PROMETHEUS_URL）时，也可以直接写 PromQL，例如 “avg(DCGM_FI_DEV_GPU_UTIL)”（需采集 NVIDIA DCGM exporter）。'
        : '';
  return {
    en: `I have no metric for ${phrase}. The serving metrics I can read: ${en}; e.g. "p95 ttft of ${example}".${promqlEn}`,
    zh: `我没有“${phrase}”这个指标。我能读取的服务指标：${zh}；例如“${example} 的 p95 TTFT”。${promqlZh}`,
  };
}
