import { describe, expect, it } from 'vitest';
import { affectedDeployment } from '../src/analysis/rca/affected-deployment.ts';
import { type RcaEvent, type RcaLogLine, type RcaSeries, rankHypotheses } from '../src/analysis/rca/index.ts';

const T0 = Date.UTC(2026, 2, 3, 9, 0, 0) / 1000;
const at = (minute: number) => new Date((T0 + minute * 60) * 1000);

/** A minute-step series: `base` with a little deterministic noise, `level` from minute `from` on. */
function series(
  deployment: string,
  metric: string,
  base: number,
  shift?: { from: number; level: number },
  labels?: Record<string, string>,
): RcaSeries {
  const points = Array.from({ length: 240 }, (_, i) => {
    const inside = shift && i >= shift.from;
    const noise = 1 + 0.04 * Math.sin(i * 1.7) + 0.03 * Math.cos(i * 0.61);
    return { t: T0 + i * 60, v: (inside ? shift.level : base) * noise };
  });
  return { deployment, metric, points, labels };
}

function event(id: string, minute: number, kind: string, target: string, description: string): RcaEvent {
  return { id, time: at(minute), kind, target, description };
}

/** Log lines every 20 s: `routine` before `from`, then `incident` mixed in. */
function logs(routine: string, incident: string[], from: number, raw?: (message: string) => string): RcaLogLine[] {
  const out: RcaLogLine[] = [];
  for (let s = 0; s < 240 * 60; s += 20) {
    const minute = s / 60;
    const message = minute >= from && incident.length > 0 ? (incident[(s / 20) % incident.length] as string) : routine;
    out.push({ at: new Date((T0 + s) * 1000), message, raw: raw?.(message) });
  }
  return out;
}

const ROUTINE = 'Engine 000: Avg prompt throughput: 812.0 tokens/s, Running: 12 reqs, Waiting: 0 reqs, GPU KV cache usage: 31.0%';

describe('decoy changes elsewhere in the fleet', () => {
  it('do not outrank a traffic surge the metrics show, however close to the onset they are', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: [
        series('m', 'request_rate', 2, { from: 196, level: 7 }),
        series('m', 'queue_depth', 0.5, { from: 200, level: 40 }),
        series('m', 'ttft', 0.15, { from: 200, level: 1.2 }),
        series('m', 'tpot', 0.02),
        series('n', 'tpot', 0.03),
      ],
      logs: [],
      events: [
        event('n-deploy', 198, 'deploy', 'n', 'deploy n v9 (was v8)'),
        event('n-config', 199, 'config_change', 'n', 'set max_num_seqs 64 → 32 on n'),
        event('ingress', 197, 'deploy', 'ingress-nginx', 'deploy ingress-nginx controller v1.11.3'),
      ],
    });
    expect(result.hypotheses[0]).toMatchObject({ kind: 'traffic_surge', event_id: null });
    const blamed = result.hypotheses.map((h) => h.event_id);
    expect(blamed).not.toContain('n-deploy');
    expect(blamed).not.toContain('n-config');
    expect(blamed).not.toContain('ingress');
  });

  it('an autoscaler adding replicas after the surge began is not its cause', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: [
        series('m', 'request_rate', 2, { from: 190, level: 7 }),
        series('m', 'queue_depth', 0.5, { from: 200, level: 40 }),
      ],
      logs: [],
      events: [event('hpa', 201, 'hpa', 'm', 'HPA scaled m from 2 to 4 replicas')],
    });
    expect(result.hypotheses[0]).toMatchObject({ kind: 'traffic_surge', event_id: null });
  });
});

describe('node and GPU health events', () => {
  const incident = (labels: Record<string, string> | undefined) => [
    series('m', 'error_rate', 0.002, { from: 200, level: 0.2 }, labels),
    series('m', 'tpot', 0.02, { from: 200, level: 0.03 }, labels),
    series('n', 'error_rate', 0.002, undefined, { deployment: 'n', node: 'gpu-node-09' }),
  ];
  const xid = (id: string, node: string, minute = 199) =>
    event(id, minute, 'xid', node, 'NVRM: Xid (PCI:0000:3b:00): 79, pid=2173, GPU has fallen off the bus.');

  it('blame an Xid on the node the deployment runs on (its series say so), not the same on another node', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: incident({ deployment: 'm', pod: 'm-7d9f8c6b5d-x2kq9', node: 'gpu-node-07' }),
      logs: [],
      events: [xid('xid-other', 'gpu-node-09'), xid('xid-own', 'node/gpu-node-07')],
    });
    expect(result.hypotheses[0]).toMatchObject({ kind: 'hardware_fault', event_id: 'xid-own' });
    expect(result.hypotheses.map((h) => h.event_id)).not.toContain('xid-other');
    expect(result.hypotheses[0]?.evidence.find((e) => e.type === 'event')).toMatchObject({ id: 'xid-own', lead_seconds: 60 });
  });

  it('tie a node condition to the deployment through its log lines when its series carry no node', () => {
    const shipped = (message: string) => JSON.stringify({ msg: message, kubernetes: { host: 'ip-10-0-12-34.ec2.internal' } });
    const result = rankHypotheses({
      deployment: 'm',
      series: incident(undefined),
      logs: logs(ROUTINE, [], 0, shipped),
      events: [
        event(
          'nr',
          201,
          'node_condition',
          'node/ip-10-0-12-34.ec2.internal',
          'Node ip-10-0-12-34.ec2.internal status is now: NodeNotReady',
        ),
      ],
    });
    expect(result.hypotheses[0]).toMatchObject({ kind: 'hardware_fault', event_id: 'nr' });
  });

  it('leave a health event on a node the deployment is not known to run on, and one long before the onset', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: incident({ deployment: 'm', node: 'gpu-node-07' }),
      logs: [],
      events: [xid('elsewhere', 'gpu-node-12'), xid('hours-ago', 'gpu-node-07', 60)],
    });
    const blamed = result.hypotheses.map((h) => h.event_id);
    expect(blamed).not.toContain('elsewhere');
    expect(blamed).not.toContain('hours-ago');
  });
});

describe('a deploy of the affected deployment with hardware-looking logs', () => {
  const slowAndFailing = (labels?: Record<string, string>) => [
    series('m', 'error_rate', 0.002, { from: 200, level: 0.12 }, labels),
    series('m', 'tpot', 0.02, { from: 200, level: 0.045 }, labels),
  ];
  const cudaLogs = logs(
    ROUTINE,
    [
      'Request chatcmpl-1 failed: RuntimeError: CUDA error: an illegal memory access was encountered',
      'Failed to initialize NVML: Driver/library version mismatch; falling back to CUDA runtime queries',
      'Engine background task failed: RuntimeError: CUDA error: unspecified launch failure',
    ],
    198,
  );
  const deploy = event('dep-5', 197, 'rollout', 'm', 'deploy m v5 (was v4)');

  it('stays the prime suspect: CUDA errors and NVML trouble are what a bad build also causes', () => {
    const [top] = rankHypotheses({ deployment: 'm', series: slowAndFailing(), logs: cudaLogs, events: [deploy] }).hypotheses;
    expect(top).toMatchObject({ kind: 'deployment_change', event_id: 'dep-5' });
    expect(top?.action).toMatchObject({ tool: 'rollback_deployment', args: { deployment: 'm', to_version: 'v4' } });
  });

  it('gives way when the hardware evidence is direct: an Xid on its node', () => {
    const [top] = rankHypotheses({
      deployment: 'm',
      series: slowAndFailing({ deployment: 'm', node: 'gpu-node-03' }),
      logs: cudaLogs,
      events: [deploy, event('xid', 199, 'gpu_xid', 'gpu-node-03/gpu2', 'Xid 48 (DBE ECC) on GPU 2 of gpu-node-03')],
    }).hypotheses;
    expect(top).toMatchObject({ kind: 'hardware_fault', event_id: 'xid' });
  });
});

describe('prompt-length and input shifts', () => {
  it('are read from the mean prompt length: TTFT up, TPOT flat, traffic flat', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: [
        series('m', 'prompt_length', 600, { from: 200, level: 2400 }),
        series('m', 'ttft', 0.2, { from: 200, level: 0.75 }),
        series('m', 'tpot', 0.02),
        series('m', 'request_rate', 3),
      ],
      logs: [],
      events: [event('other', 199, 'config_change', 'n', 'set max_num_seqs 64 → 32 on n')],
    });
    expect(result.hypotheses[0]).toMatchObject({ kind: 'input_shift', event_id: null });
    expect(result.hypotheses[0]?.summary).toContain('prompts got 4.0× longer');
  });

  it('are read from prompt tokens per second over requests per second when no length is exported', () => {
    const [top] = rankHypotheses({
      deployment: 'm',
      series: [
        series('m', 'prompt_throughput', 1800, { from: 200, level: 6300 }),
        series('m', 'request_rate', 3),
        series('m', 'ttft', 0.2, { from: 200, level: 0.7 }),
      ],
      logs: [],
      events: [],
    }).hypotheses;
    expect(top).toMatchObject({ kind: 'input_shift' });
  });

  it('tell longer prompts from more of them: throughput up with the length flat is a surge', () => {
    const [top] = rankHypotheses({
      deployment: 'm',
      series: [
        series('m', 'prompt_throughput', 1800, { from: 200, level: 6300 }),
        series('m', 'prompt_length', 600),
        series('m', 'queue_depth', 0.5, { from: 203, level: 30 }),
      ],
      logs: [],
      events: [],
    }).hypotheses;
    expect(top).toMatchObject({ kind: 'traffic_surge' });
  });

  it('longer generations after a deploy are the deploy, without one an input shift', () => {
    const seriesOf = () => [
      series('m', 'generation_length', 200, { from: 200, level: 700 }),
      series('m', 'e2e_latency', 4, { from: 200, level: 13 }),
      series('m', 'request_rate', 3),
    ];
    expect(rankHypotheses({ deployment: 'm', series: seriesOf(), logs: [], events: [] }).hypotheses[0]).toMatchObject({
      kind: 'input_shift',
    });
    expect(
      rankHypotheses({
        deployment: 'm',
        series: seriesOf(),
        logs: [],
        events: [event('d', 196, 'deploy', 'm', 'deploy m v8 (was v7)')],
      }).hypotheses[0],
    ).toMatchObject({ kind: 'deployment_change', event_id: 'd' });
  });
});

describe('the onset', () => {
  it('is the step, not a slow drift or a one-scrape spike before it', () => {
    // The queue grows slowly all afternoon (the daily peak); the per-token time steps up at minute 200.
    const drift = series('m', 'queue_time', 0.01);
    drift.points = drift.points.map((p, i) => ({ t: p.t, v: p.v + 0.4 * (i / 240) ** 2 }));
    const spiky = series('m', 'tpot', 0.02, { from: 200, level: 0.05 });
    spiky.points = spiky.points.map((p, i) => ({ t: p.t, v: i === 90 ? 0.3 : p.v }));
    const result = rankHypotheses({ deployment: 'm', series: [drift, spiky], logs: [], events: [] });
    expect(result.onset).toBe(at(200).toISOString());
  });
});

describe('which deployment a run is about, when nobody said', () => {
  const fleet = [
    series('a-chat', 'request_rate', 3, { from: 150, level: 5 }),
    series('a-chat', 'running', 20, { from: 150, level: 33 }),
    series('b-code', 'ttft', 0.2, { from: 200, level: 0.9 }),
    series('b-code', 'error_rate', 0.001, { from: 200, level: 0.08 }),
  ];

  it('is the one whose symptoms moved, not the one whose traffic did', () => {
    expect(affectedDeployment(fleet, [])).toEqual({ deployment: 'b-code', by: 'symptoms' });
  });

  it('is the one whose logs were given, when the lines name its pods', () => {
    const lines = logs(ROUTINE, [], 0, (message) => `[pod/a-chat-7d9f8c6b5d-q2x8z/vllm] ${message}`);
    expect(affectedDeployment(fleet, lines)).toEqual({ deployment: 'a-chat', by: 'logs' });
  });
});
