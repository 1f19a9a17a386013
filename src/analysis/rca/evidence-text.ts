import { CURATED_METRICS, type MetricKind } from '../../metrics/curated-metrics.ts';
import { formatValue } from '../../metrics/format-value.ts';
import type { RcaEvent } from './change-events.ts';
import type { LevelShift } from './level-shift.ts';
import type { LogFinding } from './log-evidence.ts';

/** One piece of evidence behind a hypothesis, with the sentence an operator reads. */
export type Evidence =
  | {
      type: 'metric';
      deployment: string;
      metric: string;
      direction: 'up' | 'down';
      from: number;
      to: number;
      ratio: number | null;
      start: string;
      end: string | null;
      text: string;
    }
  | { type: 'log'; template: string; count: number; baseline: number; first_seen: string; text: string }
  | { type: 'event'; id: string; kind: string; time: string; lead_seconds: number; text: string };

/** What the engine's own metrics (beyond the curated kinds) measure, and in what unit. */
const ENGINE_METRIC_TEXT: Record<string, { unit: string; about: string }> = {
  prompt_length: { unit: 'tokens', about: 'mean prompt length' },
  generation_length: { unit: 'tokens', about: 'mean generation length' },
  prompt_throughput: { unit: 'tokens/s', about: 'prompt tokens per second' },
  prefill_time: { unit: 's', about: 'prefill time' },
  decode_time: { unit: 's', about: 'decode time' },
  gpu_utilization: { unit: 'ratio', about: 'GPU utilisation' },
  gpu_temperature: { unit: '°C', about: 'GPU temperature' },
  gpu_memory: { unit: '', about: 'GPU memory used' },
  cpu_usage: { unit: 'cores', about: 'CPU use' },
  memory_usage: { unit: 'bytes', about: 'memory use' },
};

export function metricEvidence(s: LevelShift): Evidence {
  const described = CURATED_METRICS[s.metric as MetricKind] ?? ENGINE_METRIC_TEXT[s.metric];
  const unit = described?.unit ?? '';
  const about = described?.about ?? s.metric;
  const size =
    s.ratio !== null && s.ratio >= 1.05
      ? ` (${s.ratio.toFixed(1)}×)`
      : s.ratio !== null && s.ratio < 0.95
        ? ` (−${Math.round((1 - s.ratio) * 100)}%)`
        : '';
  return {
    type: 'metric',
    deployment: s.deployment,
    metric: s.metric,
    direction: s.direction,
    from: round(s.before),
    to: round(s.after),
    ratio: s.ratio === null ? null : round(s.ratio),
    start: iso(s.start),
    end: s.ongoing ? null : iso(s.end),
    text: `${about} of ${s.deployment} went ${s.direction} from ${formatValue(s.before, unit)} to ${formatValue(s.after, unit)}${size} at ${clock(s.start)}${s.ongoing ? ', still there' : `, until ${clock(s.end)}`}`,
  };
}

export function logEvidence(f: LogFinding): Evidence {
  const template = f.template.length > 200 ? `${f.template.slice(0, 200)}…` : f.template;
  return {
    type: 'log',
    template,
    count: f.count,
    baseline: f.baseline,
    first_seen: f.firstSeen.toISOString(),
    text:
      f.novelty === 'new'
        ? `new log line ${f.count}× from ${clock(f.firstSeen.getTime() / 1000)}: ${template}`
        : `log line ${f.ratio.toFixed(1)}× its usual rate (${f.count}× from ${clock(f.firstSeen.getTime() / 1000)}): ${template}`,
  };
}

export function eventEvidence(event: RcaEvent, leadSeconds: number): Evidence {
  return {
    type: 'event',
    id: event.id,
    kind: event.kind,
    time: event.time.toISOString(),
    lead_seconds: Math.round(leadSeconds),
    text: `${event.kind} "${event.description}" at ${clock(event.time.getTime() / 1000)}, ${describeLead(leadSeconds)} the onset`,
  };
}

export function describeLead(leadSeconds: number): string {
  const abs = Math.abs(Math.round(leadSeconds));
  const span = abs < 90 ? `${abs} s` : `${Math.round(abs / 60)} min`;
  return leadSeconds >= 0 ? `${span} before` : `${span} after`;
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function clock(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(11, 16)} UTC`;
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}
