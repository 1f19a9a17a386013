import { z } from 'zod';

/** The catalogue tools a request may expect; search_runbooks joins when it is built. */
export const CORPUS_TOOLS = [
  'get_deployment_status',
  'estimate_resources',
  'deploy_model',
  'rollback_deployment',
  'scale_deployment',
  'query_metrics',
  'detect_anomalies',
  'forecast_metrics',
  'probe_endpoint',
  'search_logs',
  'analyze_logs',
  'explain_incident',
  'start_optimization',
  'get_job_status',
  'cancel_job',
  'list_audit',
] as const;

const HAN = /[\u3400-\u9fff]/;

/** One request of the corpus: the text, the first tool call expected (null: answer without a tool) and values its arguments must carry. */
export const corpusCaseSchema = z
  .strictObject({
    u: z.string().trim().min(1, { error: 'must be a non-empty request' }).max(500),
    tool: z.enum(CORPUS_TOOLS, { error: `must be one of ${CORPUS_TOOLS.join(', ')} or null` }).nullable(),
    has: z.array(z.string().min(1)).max(3, { error: 'keep "has" to at most 3 values' }),
    lang: z.enum(['en', 'zh'], { error: 'must be "en" or "zh"' }),
    family: z.string().regex(/^[a-z_]+(\.[a-z0-9_]+)*$/, { error: 'must be a dotted lower-case label such as "metrics.ttft"' }),
  })
  .superRefine((c, ctx) => {
    // The split is stratified by lang, so a mislabelled line would land in the wrong stratum.
    if ((c.lang === 'zh') !== HAN.test(c.u))
      ctx.addIssue({
        code: 'custom',
        path: ['lang'],
        message: `is "${c.lang}" but the request ${HAN.test(c.u) ? 'is' : 'is not'} Chinese`,
      });
    if (c.tool === null && c.has.length > 0)
      ctx.addIssue({ code: 'custom', path: ['has'], message: 'must be empty when no tool is expected (tool: null)' });
  });
export type CorpusCase = z.infer<typeof corpusCaseSchema>;

/** A request's identity: case and spacing differences do not make a new request. */
const identity = (u: string): string => u.toLowerCase().replace(/\s+/g, ' ');

/**
 * Parses a JSON-lines corpus, listing every bad line (by number) and every duplicate, within the
 * text or of a request in `earlier` (another file of the corpus), in one error.
 */
export function parseCorpus(text: string, source: string, earlier: readonly CorpusCase[] = []): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const before = new Set(earlier.map((c) => identity(c.u)));
  text.split('\n').forEach((line, index) => {
    const at = `${source}:${index + 1}`;
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      problems.push(`${at}: not JSON (${(error as Error).message})`);
      return;
    }
    const parsed = corpusCaseSchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${at}: ${issue.path.join('.') || 'line'} ${issue.message}`);
      return;
    }
    const key = identity(parsed.data.u);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${at}: duplicate of line ${first}: "${parsed.data.u}"`);
    else if (before.has(key)) problems.push(`${at}: duplicate of a request already in the corpus: "${parsed.data.u}"`);
    else seen.set(key, index + 1);
    cases.push(parsed.data);
  });
  if (problems.length > 0)
    throw new Error(`${source} has ${problems.length} problem(s); expected one JSON object per line:\n${problems.join('\n')}`);
  return cases;
}

/** 32-bit FNV-1a of the UTF-8 bytes of a text. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The stratum a case is balanced within: its language and its expected tool (language first, so each language is balanced overall too). */
export const stratumOf = (c: CorpusCase): string => `${c.lang}|${c.tool ?? 'none'}`;

/**
 * Splits into dev and test halves: within each (tool, lang) stratum, cases sorted by FNV-1a of the
 * request alternate dev, test, …; the alternation continues across strata (sorted by language, then tool), so
 * odd strata give their extra case to dev and test in turn. Each half keeps the source order.
 */
export function splitCorpus(cases: readonly CorpusCase[]): { dev: CorpusCase[]; test: CorpusCase[] } {
  const strata = new Map<string, CorpusCase[]>();
  for (const c of cases) strata.set(stratumOf(c), [...(strata.get(stratumOf(c)) ?? []), c]);
  const toTest = new Set<CorpusCase>();
  let turn = 0;
  for (const key of [...strata.keys()].sort()) {
    const ordered = [...(strata.get(key) ?? [])].sort((a, b) => fnv1a32(a.u) - fnv1a32(b.u) || (a.u < b.u ? -1 : 1));
    for (const c of ordered) if (turn++ % 2 === 1) toTest.add(c);
  }
  return { dev: cases.filter((c) => !toTest.has(c)), test: cases.filter((c) => toTest.has(c)) };
}

/** JSON lines with the columns in a fixed order. */
export function toJsonl(cases: readonly CorpusCase[]): string {
  return `${cases.map((c) => JSON.stringify({ u: c.u, tool: c.tool, has: c.has, lang: c.lang, family: c.family })).join('\n')}\n`;
}

/** A table of the counts per tool and language in each half. */
export function countTable(dev: readonly CorpusCase[], test: readonly CorpusCase[]): string {
  const count = (cases: readonly CorpusCase[], tool: string | null, lang?: string) =>
    cases.filter((c) => c.tool === tool && (lang === undefined || c.lang === lang)).length;
  const header = ['tool', 'dev en', 'dev zh', 'test en', 'test zh', 'total'];
  const rows = [...CORPUS_TOOLS, null].map((tool) => [
    tool ?? '(none)',
    ...[dev, test].flatMap((half) => [count(half, tool, 'en'), count(half, tool, 'zh')]).map(String),
    String(count(dev, tool) + count(test, tool)),
  ]);
  const all = [...dev, ...test];
  const by = (half: readonly CorpusCase[], lang: string) => String(half.filter((c) => c.lang === lang).length);
  rows.push(['all', by(dev, 'en'), by(dev, 'zh'), by(test, 'en'), by(test, 'zh'), String(all.length)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * The two halves as committed: the split of the frozen source, and the dev half followed by the
 * requests added to dev later (which never move existing requests between halves).
 */
export function buildHalves(
  source: { text: string; name: string },
  devExtra?: { text: string; name: string },
): { dev: CorpusCase[]; test: CorpusCase[]; extra: number } {
  const cases = parseCorpus(source.text, source.name);
  const { dev, test } = splitCorpus(cases);
  const extra = devExtra ? parseCorpus(devExtra.text, devExtra.name, cases) : [];
  return { dev: [...dev, ...extra], test, extra: extra.length };
}
