import type { Deployment, Pod } from './fleet.ts';
import type { Message } from './log-catalogue.ts';
import type { Random } from './random.ts';

/**
 * How a team hands over a deployment's logs: vLLM's own layout with a full date, `kubectl logs
 * --timestamps` (optionally `--prefix`), a log shipper's JSON lines with Kubernetes metadata, a
 * Loki `logcli` export, or vLLM ≥ 0.10 with its process prefix. Tracebacks keep their lines.
 */
export const LOG_STYLES = [
  'vllm_full',
  'kubectl_ts',
  'kubectl_prefix',
  'json_shipper',
  'json_flat',
  'loki',
  'v1_prefix',
] as const;
export type LogStyle = (typeof LOG_STYLES)[number];

export interface TimedMessage {
  t: number;
  message: Message;
  pod: Pod;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time, as vLLM prints it (the reader of a full-date line takes it as local time too). */
function localStamp(t: number, withYear: boolean): string {
  const d = new Date(t * 1000);
  const date = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withYear ? `${d.getFullYear()}-${date} ${time}` : `${date} ${time}`;
}

function rfc3339(t: number, nanos: boolean): string {
  const iso = new Date(Math.floor(t * 1000)).toISOString();
  if (!nanos) return iso;
  const frac = String(Math.floor((t % 1) * 1e9)).padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

function vllmLayout(m: Message, t: number, withYear: boolean): string {
  if (m.source === 'uvicorn') return `INFO:     ${m.text}`;
  return `${m.level} ${localStamp(t, withYear)} [${m.source}] ${m.text}`;
}

/** The file's lines for these messages, in time order. */
export function renderLogs(r: Random, style: LogStyle, d: Deployment, messages: readonly TimedMessage[]): string[] {
  const sorted = [...messages].sort((a, b) => a.t - b.t);
  const out: string[] = [];
  const nanos = r.chance(0.5);
  const nested = r.chance(0.5);
  for (const { t, message: m, pod } of sorted) {
    switch (style) {
      case 'vllm_full':
        out.push(vllmLayout(m, t, true));
        for (const c of m.continuation ?? []) out.push(c);
        break;
      case 'kubectl_ts':
        out.push(`${rfc3339(t, nanos)} ${vllmLayout(m, t, false)}`);
        for (const c of m.continuation ?? []) out.push(`${rfc3339(t, nanos)} ${c}`);
        break;
      case 'kubectl_prefix':
        out.push(`[pod/${pod.name}/vllm] ${rfc3339(t, nanos)} ${vllmLayout(m, t, false)}`);
        for (const c of m.continuation ?? []) out.push(`[pod/${pod.name}/vllm] ${rfc3339(t, nanos)} ${c}`);
        break;
      case 'v1_prefix':
        out.push(`${rfc3339(t, false)} (APIServer pid=1) ${vllmLayout(m, t, false)}`);
        for (const c of m.continuation ?? []) out.push(`${rfc3339(t, false)} ${c}`);
        break;
      case 'loki':
        out.push(`${rfc3339(t, false)} {app="${d.name}", pod="${pod.name}", node_name="${pod.node}"} ${vllmLayout(m, t, false)}`);
        break;
      case 'json_shipper': {
        const text = m.continuation ? `${m.text}\n${m.continuation.join('\n')}` : m.text;
        const meta = { pod_name: pod.name, namespace_name: 'llm', host: pod.node, container_name: 'vllm' };
        out.push(
          JSON.stringify(
            nested
              ? { time: rfc3339(t, false), level: m.level.toLowerCase(), logger: m.source, msg: text, kubernetes: meta }
              : {
                  '@timestamp': rfc3339(t, false),
                  'log.level': m.level,
                  message: text,
                  'kubernetes.pod.name': pod.name,
                  'host.name': pod.node,
                },
          ),
        );
        break;
      }
      case 'json_flat':
        out.push(
          JSON.stringify({
            ts: Math.round(t * 1000) / 1000,
            severity: m.level,
            message: m.continuation ? `${m.text} | ${m.continuation[m.continuation.length - 1]}` : m.text,
            pod: pod.name,
            node: pod.node,
          }),
        );
        break;
    }
  }
  return out;
}

/** Whether a style shows the node each line came from (so a node's health event can be tied to the deployment). */
export function styleShowsNode(style: LogStyle): boolean {
  return style === 'json_shipper' || style === 'json_flat' || style === 'loki';
}
