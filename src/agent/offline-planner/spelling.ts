/**
 * Typo repair for the words the planner keys on ("lantency", "deplyo", "anomolies"): a word
 * one edit (two for long words) from exactly one word of the serving vocabulary, and not a
 * word of that vocabulary itself, is read as that word. Names, numbers and quoted text are
 * left alone.
 */

const VOCABULARY = `
abort aborted abnormal cache first actually against alert alerts analyse analysis analyze anomalies anomaly anomalous approve approved
approvals audit availability average backlog batch bayesian benchmark bottleneck broken build cancel cancelled canceled
capacity cause change changed changes chart check cluster coming common compare compress concurrency concurrent config
configuration configs context cost crash crashing current daily dashboard debug degraded deploy deployed deploying
deployment deployments diagnose diagnosis distill distillation distilled downgrade endpoint endpoints environment
error errors estimate evaluate explain explanation failed failing failure failures faster finish finished forecast frequent genetic gpus
graph happened health healthy history incident increase instances investigate latency latest launch list logs memory
messages metric metrics minutes model models monitor optimisation optimise optimization optimize outage overview
patterns percentile please predict prediction preemption preemptions previous probe production progress promote
prompts quantisation quantise quantised quantization quantize quantized queue quickly random really recent release
replica replicas request requests require requirements resource resources respond response responses restart results
revert rollback rollout running scale scaling search serving server should shutdown slowly slowdown staging status
stopped student summarise summarize summary teacher template templates throughput timeout timeouts tokens traffic trend
trials tuning unusual usage utilisation utilization version versions warning warnings weekly weird yesterday
`
  .trim()
  .split(/\s+/);
// Common words one edit from a vocabulary word that mean something else ("about" is not "abort").
const KEEP = `
about abbot alter alters pause paused pauses charm chant prove proves scare stale scalp shale serve served sever statue
turning trails chance charge cheek chuck chick latent crush trash clash brash debut wealth wealthy warming decent resent
cunning gunning falling filling hailing sailing tailing mailing nailing railing generic teaches catch match patch watch
hatch latch botch content contest confit modal motel modem terror tread treat massages const costly models
`
  .trim()
  .split(/\s+/);
// Four-letter words are only repaired by swapping two neighbouring letters ("tuen" → "tune").
const SHORT = ['tune', 'logs', 'ping', 'kill', 'stop', 'jobs', 'ttft', 'tpot', 'undo', 'size'];
const ACRONYMS = ['ttft', 'tpot'];
const KNOWN = new Set([...VOCABULARY, ...KEEP]);

/** Optimal-string-alignment distance (Damerau–Levenshtein without repeated edits), stopping above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    (rows[i] as number[])[0] = i;
  }
  for (let j = 0; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

const SUFFIXES = /^(s|es|d|ed|er|ers|ing|ly|ment|ments|ion|ions|al|ally|ness|ity)$/;

/** "scaled" of "scale", "deployments" of "deploy": the word is the candidate with a suffix. */
function isInflection(word: string, candidate: string): boolean {
  for (const stem of [candidate, candidate.replace(/e$/, ''), candidate.replace(/y$/, 'i')]) {
    if (word.startsWith(stem) && SUFFIXES.test(word.slice(stem.length))) return true;
  }
  return false;
}

const cache = new Map<string, string>();

/** The vocabulary word a lower-case word is a typo of, or the word itself. */
export function correctWord(word: string): string {
  if (word.length === 4 && /^[a-z]+$/.test(word) && !SHORT.includes(word)) {
    // Any one edit for the metric acronyms, which no English word is near; only a swap for the rest.
    const repaired = SHORT.find(
      (short) =>
        editDistance(word, short, 1) === 1 &&
        (ACRONYMS.includes(short) || [...word].sort().join('') === [...short].sort().join('')),
    );
    return repaired ?? word;
  }
  if (word.length < 5 || KNOWN.has(word) || !/^[a-z]+$/.test(word)) return word;
  const cached = cache.get(word);
  if (cached !== undefined) return cached;
  const limit = word.length >= 9 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const candidate of VOCABULARY) {
    // An inflection ("scaled", "tokens") or a stem of a vocabulary word is a word, not a typo.
    if (candidate.startsWith(word) || isInflection(word, candidate)) return word;
    const distance = editDistance(word, candidate, limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) tie = true;
  }
  const corrected = best && !tie && bestDistance <= limit ? best : word;
  cache.set(word, corrected);
  return corrected;
}

/** The request with typos of vocabulary words repaired; quoted text, /regexes/ and URLs are kept as written. */
export function correctSpelling(request: string): string {
  return request
    .split(/("[^"]*"|“[^”]*”|`[^`]*`|\/[^/\s][^/]*\/|https?:\/\/\S+)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/(?<![\w./-])[A-Za-z]+(?![\w./-])/g, (token) => {
            const corrected = correctWord(token.toLowerCase());
            return corrected === token.toLowerCase() ? token : corrected;
          }),
    )
    .join('');
}
