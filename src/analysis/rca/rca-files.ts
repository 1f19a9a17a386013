import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { parseLogLine } from '../../integrations/logs/parse-log-line.ts';
import type { RcaEvent } from './change-events.ts';
import type { RcaLogLine } from './log-evidence.ts';
import { RATIO_METRICS, recogniseMetric } from './metric-names.ts';
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

/** Labels that name the pod a series or a log line came from, used when no label names the deployment. */
const POD_LABELS = ['pod', 'pod_name', 'exported_pod', 'kubernetes_pod_name'] as const;

/** The engine's name for a metric: `ttft_p95.json` → ttft, `vllm:num_requests_waiting` → queue_depth (see metric-names.ts). */
export function metricNameOf(name: string): string {
  return recogniseMetric(name).kind;
}

interface RawSeries {
  file: string;
  index: number;
  labels: Record<string, string>;
  metric: ReturnType<typeof recogniseMetric>;
  points: Array<{ t: number; v: number }>;
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
  const raw: RawSeries[] = [];
  const notes: string[] = [];
  const readAs = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const parsed = queryRangeResponse.safeParse(parseJson(await readFile(path, 'utf8'), path));
    if (!parsed.success)
      throw new AppError(
        'rca_metrics_invalid',
        `${path} is not a Prometheus query_range response: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    for (const [index, result] of parsed.data.data.result.entries()) {
      const metric = recogniseMetric(result.metric.__name__ ?? basename(name));
      if (!metric.known)
        notes.push(`${name}: "${metric.kind}" is not a metric the engine knows; its moves are reported but weigh on no cause`);
      else if (metric.kind !== basename(name, '.json'))
        readAs.set(name, `${metric.kind}${metric.scale !== 1 ? ` (× ${metric.scale})` : ''}`);
      raw.push({
        file: name,
        index,
        labels: result.metric,
        metric,
        points: result.values.map(([t, v]) => ({ t, v: Number(v) * metric.scale })),
      });
    }
  }
  // Series without a deployment label (DCGM's per-GPU series) belong to the deployment their pod is part of.
  const known = new Set(
    raw.flatMap((s) => DEPLOYMENT_LABELS.map((l) => s.labels[l]).filter((v): v is string => v !== undefined)),
  );
  const series: RcaSeries[] = [];
  for (const s of raw) {
    const deployment = deploymentOf(s.labels, known);
    if (!deployment)
      throw new AppError(
        'rca_metrics_unlabelled',
        `${join(dir, s.file)} result ${s.index} has no label naming the deployment; expected one of ${DEPLOYMENT_LABELS.join(', ')}, or a pod label (${POD_LABELS.join(', ')}) (labels: ${JSON.stringify(s.labels)})`,
      );
    // Shares written as percentages (a `kv_cache_util` of 0–100) are read as 0–1.
    const percent = RATIO_METRICS.has(s.metric.kind) && s.points.some((p) => p.v > 1.5);
    series.push({
      deployment,
      metric: s.metric.kind,
      points: percent ? s.points.map((p) => ({ t: p.t, v: p.v / 100 })) : s.points,
      labels: s.labels,
      source: s.file,
    });
  }
  if (readAs.size > 0) notes.push(`read ${[...readAs].map(([file, kind]) => `${file} as ${kind}`).join(', ')}`);
  return { series, notes: [...new Set(notes)] };
}

function deploymentOf(labels: Record<string, string>, known: ReadonlySet<string>): string | undefined {
  const label = DEPLOYMENT_LABELS.find((l) => labels[l]);
  if (label) return labels[label];
  const pod = POD_LABELS.map((l) => labels[l]).find(Boolean);
  if (!pod) return undefined;
  const owner = [...known].filter((d) => pod === d || pod.startsWith(`${d}-`)).sort((a, b) => b.length - a.length)[0];
  // A Deployment's pods are <name>-<replica set hash>-<5 characters>, a StatefulSet's <name>-<ordinal>.
  return owner ?? /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod)?.[1] ?? /^(.+)-\d+$/.exec(pod)?.[1] ?? pod;
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

/**
 * Log lines with a time: the vLLM layout with a full date, JSON lines with time/ts/timestamp, or an ISO 8601 prefix
 * (`kubectl logs --timestamps`, with or without `--prefix`'s `[pod/name/container]`, and Loki exports with a label set).
 * Each line keeps its raw text, which says where it ran (a pod, a node) for tying health events to the deployment.
 */
export async function readLogFile(path: string): Promise<{ lines: RcaLogLine[]; untimed: number }> {
  const lines: RcaLogLine[] = [];
  let untimed = 0;
  for (const raw of (await readText(path, '--logs')).split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const line = timedLine(raw.replace(KUBECTL_PREFIX, ''));
    if (line) lines.push({ ...line, raw });
    else untimed++;
  }
  if (lines.length === 0 && untimed > 0)
    throw new AppError(
      'rca_logs_untimed',
      `${path}: none of its ${untimed} lines has a time; expected "LEVEL 2026-11-29 14:03:07 [file.py:1] message", JSON lines with a "time"/"ts"/"timestamp" field, or lines starting with an ISO 8601 time`,
    );
  return { lines, untimed };
}

const KUBECTL_PREFIX = /^\[pod\/[^\]\s]+\]\s+/;
/** A Loki label set after the time: `{app="x", pod="y"}`. */
const LABEL_SET = /^\{(?:[\w.]+="(?:[^"\\]|\\.)*"(?:,\s*)?)*\}\s*/;
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
  const rest = parseLogLine((iso[2] as string).replace(LABEL_SET, ''));
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
