import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { parseLogLine } from '../../integrations/logs/parse-log-line.ts';
import { CURATED_METRICS, METRIC_KINDS } from '../../metrics/curated-metrics.ts';
import type { RcaEvent } from './change-events.ts';
import type { RcaLogLine } from './log-evidence.ts';
import type { RcaSeries } from './rank-hypotheses.ts';

/**
 * Reads what `llmops rca` is given: Prometheus `query_range` responses (one JSON file per
 * metric, named after it), log lines with timestamps, and change events. Every problem is an
 * error naming the file, the place and what was expected; nothing is silently dropped except
 * log lines without a time, which are counted.
 */

/** Label names that carry the deployment, in the order they are tried. */
export const DEPLOYMENT_LABELS = ['deployment', 'model_name', 'app', 'service', 'job'] as const;

const queryRangeResponse = z.object({
  status: z.literal('success', { error: 'status must be "success" (an error response has no data to read)' }),
  data: z.object({
    resultType: z.literal('matrix', { error: 'resultType must be "matrix" (a query_range response)' }),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])),
      }),
    ),
  }),
});

/** File names (and `__name__` values) that name a metric the engine knows, besides the curated kinds themselves. */
const ALIASES: Record<string, string> = {
  latency: 'e2e_latency',
  e2e: 'e2e_latency',
  time_to_first_token: 'ttft',
  time_per_output_token: 'tpot',
  inter_token_latency: 'tpot',
  itl: 'tpot',
  requests: 'request_rate',
  rps: 'request_rate',
  qps: 'request_rate',
  errors: 'error_rate',
  error_ratio: 'error_rate',
  queue: 'queue_depth',
  waiting: 'queue_depth',
  kv_cache: 'kv_cache_usage',
  prompt_tokens: 'prompt_length',
  prompt_length: 'prompt_length',
  input_length: 'prompt_length',
};

/** The engine's name for a metric file: `ttft_p95.json` → ttft, `vllm:num_requests_waiting` → queue_depth. */
export function metricNameOf(name: string): string {
  const plain = name
    .toLowerCase()
    .replace(/\.json$/, '')
    .replace(/(^|_)p\d{2,3}(?=_|$)/g, '')
    .replace(/_(seconds|ratio|total|perc)$/, '')
    .replace(/^_+|_+$/g, '');
  for (const kind of METRIC_KINDS) {
    if (plain === kind) return kind;
    const vllm = CURATED_METRICS[kind].vllm.replace(/_(seconds|total|perc)$/, '');
    if (plain === vllm || plain === vllm.replace(/^vllm:/, '')) return kind;
  }
  return ALIASES[plain] ?? plain;
}

export async function readMetricsDir(dir: string): Promise<{ series: RcaSeries[]; notes: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => extname(name) === '.json').sort();
  } catch (error) {
    throw new AppError('rca_metrics_unreadable', `--metrics ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0)
    throw new AppError(
      'rca_metrics_empty',
      `--metrics ${dir} holds no .json files; expected one Prometheus query_range response per metric, e.g. ttft.json, error_rate.json`,
    );
  const series: RcaSeries[] = [];
  const notes: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const parsed = queryRangeResponse.safeParse(parseJson(await readFile(path, 'utf8'), path));
    if (!parsed.success)
      throw new AppError(
        'rca_metrics_invalid',
        `${path} is not a Prometheus query_range response: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    for (const [index, result] of parsed.data.data.result.entries()) {
      const label = DEPLOYMENT_LABELS.find((l) => result.metric[l]);
      if (!label)
        throw new AppError(
          'rca_metrics_unlabelled',
          `${path} result ${index} has no label naming the deployment; expected one of ${DEPLOYMENT_LABELS.join(', ')} (labels: ${JSON.stringify(result.metric)})`,
        );
      const metric = metricNameOf(result.metric.__name__ ?? basename(name));
      if (!(metric in CURATED_METRICS) && metric !== 'prompt_length')
        notes.push(`${name}: "${metric}" is not a metric the engine knows; its moves are reported but weigh on no cause`);
      series.push({
        deployment: result.metric[label] as string,
        metric,
        points: result.values.map(([t, v]) => ({ t, v: Number(v) })),
      });
    }
  }
  return { series, notes: [...new Set(notes)] };
}

const eventSchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  time: z
    .union([z.iso.datetime({ offset: true, local: true }), z.number()])
    .transform((t) => (typeof t === 'number' ? new Date(t > 1e11 ? t : t * 1000) : new Date(t))),
  kind: z.string().min(1),
  target: z.string(),
  description: z.string(),
});

export async function readEventsFile(path: string): Promise<RcaEvent[]> {
  const parsed = z.array(eventSchema).safeParse(parseJson(await readText(path, '--events'), path));
  if (!parsed.success)
    throw new AppError(
      'rca_events_invalid',
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}; expected a JSON array of {id, time (ISO 8601 or epoch seconds), kind, target, description}`,
    );
  return parsed.data;
}

/** Log lines with a time: the vLLM layout with a full date, JSON lines with time/ts/timestamp, or an ISO 8601 prefix. */
export async function readLogFile(path: string): Promise<{ lines: RcaLogLine[]; untimed: number }> {
  const lines: RcaLogLine[] = [];
  let untimed = 0;
  for (const raw of (await readText(path, '--logs')).split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const line = timedLine(raw);
    if (line) lines.push(line);
    else untimed++;
  }
  if (lines.length === 0 && untimed > 0)
    throw new AppError(
      'rca_logs_untimed',
      `${path}: none of its ${untimed} lines has a time; expected "LEVEL 2026-11-29 14:03:07 [file.py:1] message", JSON lines with a "time"/"ts"/"timestamp" field, or lines starting with an ISO 8601 time`,
    );
  return { lines, untimed };
}

const ISO_PREFIX = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s+(.*)$/;

function timedLine(raw: string): RcaLogLine | undefined {
  const parsed = parseLogLine(raw);
  if (parsed.at && !Number.isNaN(parsed.at.getTime())) return { at: parsed.at, message: parsed.message };
  if (parsed.layout === 'json') {
    const fields = parseJson(raw, '') as Record<string, unknown>;
    const time = fields.time ?? fields.ts ?? fields.timestamp ?? fields['@timestamp'];
    const at =
      typeof time === 'number'
        ? new Date(time > 1e17 ? time / 1e6 : time > 1e11 ? time : time * 1000)
        : typeof time === 'string'
          ? new Date(time)
          : undefined;
    if (at && !Number.isNaN(at.getTime())) return { at, message: parsed.message };
    return undefined;
  }
  const iso = ISO_PREFIX.exec(raw);
  if (!iso) return undefined;
  const at = new Date((iso[1] as string).replace(' ', 'T').replace(',', '.'));
  if (Number.isNaN(at.getTime())) return undefined;
  const rest = parseLogLine(iso[2] as string);
  return { at, message: rest.message };
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new AppError('rca_file_unreadable', `${flag} ${path}: ${(error as Error).message}`);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (!path) return {};
    throw new AppError('rca_json_invalid', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}
