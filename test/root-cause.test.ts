import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAUSE_KINDS, findLevelShift, type Hypothesis, type RcaSeries, rankHypotheses } from '../src/analysis/rca/index.ts';
import { metricNameOf } from '../src/analysis/rca/rca-files.ts';
import { runCli } from '../src/cli/run-cli.ts';
import type { FaultName } from '../src/demo/faults.ts';
import { pastIncident } from '../src/demo/history-backfill.ts';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import type { DeploymentSpec } from '../src/deployments/deployment-spec.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { incidentScenario, type ScenarioEvent } from './support/incident-scenario.ts';
import { testAssistant } from './support/test-assistant.ts';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0) / 1000;
/** A minute-step series: `base` with a little deterministic noise, `level` inside [from, to). */
function series(
  deployment: string,
  metric: string,
  base: number,
  shift?: { from: number; to?: number; level: number },
  n = 240,
): RcaSeries {
  const points = Array.from({ length: n }, (_, i) => {
    const inside = shift && i >= shift.from && i < (shift.to ?? n);
    const noise = 1 + 0.04 * Math.sin(i * 1.7) + 0.03 * Math.cos(i * 0.61);
    return { t: T0 + i * 60, v: (inside ? shift.level : base) * noise };
  });
  return { deployment, metric, points };
}

describe('level shifts', () => {
  it('finds where a metric left its level, by how much, and whether it came back', () => {
    const ongoing = findLevelShift(
      series('a', 'tpot', 0.02, { from: 200, level: 0.05 }).points,
      { metric: 'tpot', deployment: 'a' },
      { minRatio: 1.4, minAbsolute: 0.003 },
    );
    expect(ongoing).toMatchObject({ direction: 'up', start: T0 + 200 * 60, ongoing: true });
    expect(ongoing?.ratio).toBeCloseTo(2.5, 1);
    const recovered = findLevelShift(
      series('a', 'request_rate', 10, { from: 100, to: 130, level: 3 }).points,
      { metric: 'm', deployment: 'a' },
      { minRatio: 1.5, minAbsolute: 0 },
    );
    expect(recovered).toMatchObject({ direction: 'down', start: T0 + 100 * 60, end: T0 + 129 * 60, ongoing: false });
  });

  it('reports no shift for noise, or for a move smaller than the metric threshold', () => {
    expect(
      findLevelShift(series('a', 'ttft', 0.2).points, { metric: 'ttft', deployment: 'a' }, { minRatio: 1.5, minAbsolute: 0.05 }),
    ).toBeUndefined();
    // Clearly significant statistically, but 1.2× is within what latency does over an afternoon.
    expect(
      findLevelShift(
        series('a', 'ttft', 0.2, { from: 200, level: 0.24 }).points,
        { metric: 'ttft', deployment: 'a' },
        { minRatio: 1.5, minAbsolute: 0.05 },
      ),
    ).toBeUndefined();
  });

  it('names metric files as the engine knows them', () => {
    expect(
      [
        'ttft_p95.json',
        'p99_tpot.json',
        'vllm:num_requests_waiting',
        'vllm:kv_cache_usage_perc',
        'errors.json',
        'gpu_temp.json',
        'nfs_bytes_read.json',
      ].map(metricNameOf),
    ).toEqual(['ttft', 'tpot', 'queue_depth', 'kv_cache_usage', 'error_rate', 'gpu_temperature', 'nfs_bytes_read']);
  });
});

describe('the ranking', () => {
  const at = (minute: number) => new Date((T0 + minute * 60) * 1000);
  const slowDeploy = [
    series('m', 'tpot', 0.02, { from: 200, level: 0.05 }),
    series('m', 'ttft', 0.15, { from: 200, level: 0.4 }),
    series('m', 'request_rate', 2),
    series('n', 'tpot', 0.03),
  ];

  it('blames the deploy just before the onset, not one after it, one too early, or one of another deployment', () => {
    const events = [
      { id: 'early', time: at(120), kind: 'deploy', target: 'm', description: 'deploy m v3 (was v2)' },
      { id: 'other', time: at(199), kind: 'deploy', target: 'n', description: 'deploy n v9 (was v8)' },
      { id: 'right', time: at(199), kind: 'deploy', target: 'm', description: 'deploy m v4 (was v3)' },
      { id: 'after', time: at(215), kind: 'rollback', target: 'm', description: 'rollback m to v3' },
    ];
    const result = rankHypotheses({ deployment: 'm', series: slowDeploy, logs: [], events });
    const [top] = result.hypotheses;
    expect(top).toMatchObject({ kind: 'deployment_change', event_id: 'right' });
    expect(top?.action).toMatchObject({ tool: 'rollback_deployment', args: { deployment: 'm', to_version: 'v3' } });
    expect(top?.evidence.find((e) => e.type === 'event')).toMatchObject({ id: 'right', lead_seconds: 60 });
    expect(top?.evidence.find((e) => e.type === 'metric' && e.metric === 'tpot')).toMatchObject({
      from: expect.closeTo(0.02, 2),
      to: expect.closeTo(0.05, 2),
    });
    const blamed = result.hypotheses.map((h) => h.event_id);
    expect(blamed).not.toContain('other');
    expect(blamed).not.toContain('after');
    expect(blamed).not.toContain('early');
    expect(result.hypotheses.reduce((s, h) => s + h.confidence, 0)).toBeCloseTo(1, 1);
  });

  it('trusts a deploy of one deployment less when its neighbours moved at the same time', () => {
    const events = [{ id: 'd', time: at(199), kind: 'deploy', target: 'm', description: 'deploy m v4' }];
    const alone = rankHypotheses({ deployment: 'm', series: slowDeploy, logs: [], events }).hypotheses[0] as Hypothesis;
    const shared = rankHypotheses({
      deployment: 'm',
      series: [...slowDeploy.slice(0, 3), series('n', 'tpot', 0.03, { from: 201, level: 0.08 })],
      logs: [],
      events,
    }).hypotheses.find((h) => h.event_id === 'd') as Hypothesis;
    expect(shared.confidence).toBeLessThan(alone.confidence);
  });

  it('says unknown, with a next step, when nothing moved', () => {
    const result = rankHypotheses({
      deployment: 'm',
      series: [series('m', 'tpot', 0.02), series('m', 'ttft', 0.15)],
      logs: [],
      events: [{ id: 'x', time: at(100), kind: 'deploy', target: 'm', description: 'deploy m v4' }],
    });
    expect(result.onset).toBeNull();
    expect(result.hypotheses.map((h) => h.kind)).toEqual(['unknown']);
    expect(result.hypotheses[0]?.action.summary).toMatch(/Widen the range/);
  });
});

describe('changes from the deployment history', () => {
  it('describes each rollout against the good one before it: deploys, scaling, other settings; failures are not changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-history-'));
    const db = openDatabase(dir);
    try {
      const history = new DeploymentHistory(db);
      const v1: DeploymentSpec = {
        name: 'm',
        environment: 'prod',
        version: 'v1',
        model: 'mistral-7b',
        gpu: 'L40S',
        gpuCount: 1,
        dtype: 'bf16',
        replicas: 2,
        maxNumSeqs: 64,
        maxNumBatchedTokens: 8192,
        peakRatePerSecond: 1,
      };
      history.record(v1, 'alice', 'local', 'active');
      history.record({ ...v1, version: 'v2' }, 'bob', 'local', 'active');
      history.record({ ...v1, version: 'v3' }, 'bob', 'local', 'failed');
      history.record({ ...v1, version: 'v2', replicas: 3 }, 'carol', 'local', 'active');
      history.record({ ...v1, version: 'v2', replicas: 3, maxNumSeqs: 32 }, 'dan', 'local', 'active');
      const changes = history.changesBetween(new Date(Date.now() - 60_000), new Date(Date.now() + 60_000));
      expect(changes.map((c) => [c.kind, c.actor, c.description])).toEqual([
        ['deployment_change', 'alice', 'deploy m/prod v1'],
        ['deployment_change', 'bob', 'deploy m/prod v2 (was v1)'],
        ['config_change', 'carol', 'scale m/prod from 2 to 3 replicas'],
        ['config_change', 'dan', 'change m/prod: maxNumSeqs 64 → 32'],
      ]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Each demo fault, injected into the back-filled history of mistral-7b for the last 25 minutes,
// with change events that are plausible but wrong next to it.
const scenarios: Array<{
  fault: FaultName;
  kind: string;
  events: ScenarioEvent[];
  evidence: RegExp;
}> = [
  {
    fault: 'bad_deploy',
    kind: 'deployment_change',
    events: [
      { minutesBefore: 90, kind: 'deployment_change', target: 'mistral-7b', description: 'deploy mistral-7b v4 (was v3)' },
      { minutesBefore: 5, kind: 'config_change', target: 'qwen2-7b', description: 'set max_num_seqs 32 → 48' },
    ],
    evidence: /time per output token of mistral-7b went up/,
  },
  {
    fault: 'kv_cache_exhaustion',
    kind: 'resource_exhaustion',
    events: [
      { minutesBefore: 10, kind: 'deployment_change', target: 'llama-3-8b', description: 'deploy llama-3-8b v3 (was v2)' },
    ],
    evidence: /KV-cache use of mistral-7b went up/,
  },
  {
    fault: 'gpu_xid',
    kind: 'hardware_fault',
    events: [{ minutesBefore: 40, kind: 'config_change', target: 'mistral-7b', description: 'raise max_num_seqs 48 → 64' }],
    evidence: /GPU has fallen off the bus/,
  },
  {
    fault: 'traffic_surge',
    kind: 'traffic_surge',
    events: [
      { minutesBefore: 50, kind: 'deployment_change', target: 'mistral-7b', description: 'deploy mistral-7b v4 (was v3)' },
    ],
    evidence: /requests per second of mistral-7b went up/,
  },
  {
    fault: 'dependency_timeout',
    kind: 'dependency_failure',
    events: [
      { minutesBefore: 30, kind: 'config_change', target: '*', description: 'rotate TLS certificates fleet-wide' },
      {
        minutesBefore: -2,
        kind: 'alert',
        target: 'moderation',
        description: 'ModerationServiceDown: upstream moderation service unreachable',
      },
    ],
    evidence: /Upstream moderation service timed out/,
  },
];

describe('explain_incident on the demo fleet', () => {
  const open: Array<{ dispose(): Promise<void> }> = [];
  afterAll(async () => {
    for (const assistant of open) await assistant.dispose();
  });

  for (const scenario of scenarios) {
    it(`ranks ${scenario.kind} first for ${scenario.fault}`, async () => {
      const { assistant, now, eventIds } = await incidentScenario(scenario.fault, { events: scenario.events });
      open.push(assistant);
      const result = await assistant.executor.execute(
        'explain_incident',
        { deployment: 'mistral-7b', range: 'last 1h' },
        { threadId: 't', userId: 'u', now },
      );
      expect(result.status, result.summary).toBe('ok');
      const hypotheses = (result as { data: { hypotheses: Hypothesis[] } }).data.hypotheses;
      const [top] = hypotheses;
      expect(top?.kind, result.summary).toBe(scenario.kind);
      expect(top?.confidence).toBeGreaterThan(0.5);
      expect(top?.evidence.map((e) => e.text).join('\n')).toMatch(scenario.evidence);
      if (scenario.fault === 'bad_deploy') {
        const deploy = new ChangeEventRepository(assistant.db)
          .list(new Date(0), now)
          .find((e) => e.description === 'deploy mistral-7b v6 (was v4)');
        expect(top?.event_id).toBe(`change-${deploy?.id}`);
        expect(top?.action).toMatchObject({ tool: 'rollback_deployment', args: { deployment: 'mistral-7b', to_version: 'v4' } });
        expect(result.summary).toContain('Say "roll back mistral-7b to v4" to propose it.');
      } else {
        // The distractors are not what the engine blames first.
        expect(top?.event_id).toBeNull();
        for (const id of eventIds)
          expect(hypotheses.filter((h) => h.event_id === id && h.confidence > (top?.confidence ?? 0))).toEqual([]);
      }
      if (scenario.fault === 'dependency_timeout') expect(top?.action.summary).toContain('moderation.internal:8080');
      expect(result.summary).toMatch(
        new RegExp(`^Most likely cause on mistral-7b: ${scenario.kind} \\(confidence 0\\.\\d\\d\\)`),
      );
    }, 60_000);
  }

  it("explains the demo's past incident three days ago: the deploy, not the rollback that ended it", async () => {
    const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '4' }, { demoTraffic: false });
    open.push(assistant);
    const incident = pastIncident(new Date());
    const range = `${new Date(incident.start.getTime() - 20 * 60_000).toISOString()}/${new Date(incident.end.getTime() + 20 * 60_000).toISOString()}`;
    const result = await assistant.executor.execute(
      'explain_incident',
      { deployment: 'mistral-7b', range },
      { threadId: 't', userId: 'u', now: new Date() },
    );
    const [top] = (result as { data: { hypotheses: Hypothesis[] } }).data.hypotheses;
    expect(top?.kind, result.summary).toBe('deployment_change');
    expect(result.summary).toContain('deploy mistral-7b v5 (was v4) (by alice)');
    expect(top?.action.args).toEqual({ deployment: 'mistral-7b', to_version: 'v4' });
    const tpot = top?.evidence.find((e) => e.type === 'metric' && e.metric === 'tpot');
    expect(tpot).toMatchObject({ direction: 'up', end: expect.any(String) }); // recovered at the rollback
  }, 60_000);

  it('finds the incident in a long range first, so daily traffic rhythms are not mistaken for causes', async () => {
    const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '10' }, { demoTraffic: false });
    open.push(assistant);
    const reply = await assistant.conversation.handle({
      surface: 'test',
      threadId: 't:long',
      userId: 'U0ALICE',
      text: 'why was mistral-7b slow in the last 4d?',
    });
    expect(reply.toolRuns[0]?.args).toMatchObject({ deployment: 'mistral-7b', range: 'last 4d' });
    const [top] = (reply.toolRuns[0] as { result: { data: { hypotheses: Hypothesis[] } } }).result.data.hypotheses;
    expect(top?.kind, reply.text).toBe('deployment_change');
    expect(reply.text).toContain('deploy mistral-7b v5 (was v4)');
    expect(reply.text).toMatch(/\(the strongest anomaly in last 4d\)/);
  }, 60_000);

  it('the offline planner asks explain_incident for "why is X slow?" and narrates only its ranking', async () => {
    const { assistant } = await incidentScenario('bad_deploy', { minutes: 40 });
    open.push(assistant);
    const reply = await assistant.conversation.handle({
      surface: 'test',
      threadId: 't:why',
      userId: 'U0ALICE',
      text: 'why is mistral-7b slow?',
    });
    expect(reply.toolRuns.map((r) => r.tool)).toEqual(['explain_incident']);
    expect(reply.text).toContain('deployment_change');
    expect(reply.text).toContain('roll back mistral-7b to v4');
    const ranked = (reply.toolRuns[0] as { result: { data: { hypotheses: Hypothesis[] } } }).result.data.hypotheses.map(
      (h) => h.kind,
    );
    for (const kind of CAUSE_KINDS) if (reply.text.includes(kind)) expect(ranked).toContain(kind);
  }, 60_000);
});

describe('llmops rca', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-rca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]) {
    let stdout = '';
    let stderr = '';
    const io = {
      stdin: process.stdin,
      stdout: {
        write: (s: string) => {
          stdout += s;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  it('ranks the GPU fault first from Prometheus query_range files, logs and events', async () => {
    const { assistant, now, start } = await incidentScenario('gpu_xid');
    try {
      const metrics = join(dir, 'gpu', 'metrics');
      mkdirSync(metrics, { recursive: true });
      const from = new Date(now.getTime() - 4 * 3_600_000);
      for (const kind of ['ttft', 'tpot', 'error_rate', 'request_rate', 'queue_depth'] as const) {
        const answer = await assistant.metricsSource.curated({ kind, start: from, end: now, stepSeconds: 60, quantile: 0.95 });
        // The HTTP API's own shape: a matrix of [seconds, "value"] pairs under the series' labels.
        const body = {
          status: 'success',
          data: {
            resultType: 'matrix',
            result: answer.series.map((s) => ({
              metric: { model_name: s.deployment, job: 'vllm' },
              values: s.points.map((p) => [p.t, String(p.v)]),
            })),
          },
        };
        writeFileSync(join(metrics, `${kind === 'ttft' ? 'ttft_p95' : kind}.json`), JSON.stringify(body));
      }
      const events = join(dir, 'gpu', 'events.json');
      writeFileSync(
        events,
        JSON.stringify([
          {
            id: 'cfg-7',
            time: new Date(start.getTime() - 30 * 60_000).toISOString(),
            kind: 'config_change',
            target: 'mistral-7b',
            description: 'raise max_num_seqs',
          },
        ]),
      );
      const { code, stdout, stderr } = await run([
        'rca',
        '--metrics',
        metrics,
        '--logs',
        join(assistant.dataDir, 'demo', 'logs', 'mistral-7b.log'),
        '--events',
        events,
        '--json',
      ]);
      expect(code, stderr).toBe(0);
      const output = JSON.parse(stdout) as { hypotheses: Array<Record<string, unknown>> };
      expect(Object.keys(output)).toEqual(['hypotheses']);
      expect(Object.keys(output.hypotheses[0] ?? {})).toEqual(['kind', 'event_id', 'confidence', 'evidence', 'action']);
      expect(output.hypotheses[0]).toMatchObject({ kind: 'hardware_fault', event_id: null });
      expect(stderr).toContain('analysing mistral-7b, the deployment whose metrics moved most');
      const confidences = output.hypotheses.map((h) => h.confidence as number);
      expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
    } finally {
      await assistant.dispose();
    }
  }, 60_000);

  it('says what is wrong with bad input', async () => {
    expect((await run(['rca'])).stderr).toContain('rca needs --metrics DIR');
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect((await run(['rca', '--metrics', empty])).stderr).toContain('holds no .json files');
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'ttft.json'), '{"status":"error","errorType":"bad_data","error":"parse error"}');
    const notRange = await run(['rca', '--metrics', bad]);
    expect(notRange.code).toBe(1);
    expect(notRange.stderr).toContain('ttft.json is not a Prometheus query_range response: status: status must be "success"');
    writeFileSync(
      join(bad, 'ttft.json'),
      JSON.stringify({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { instance: 'x:8000' }, values: [[1, '0.1']] }] },
      }),
    );
    expect((await run(['rca', '--metrics', bad])).stderr).toContain(
      'result 0 has no label naming the deployment; expected one of deployment, model_name',
    );
    writeFileSync(
      join(bad, 'ttft.json'),
      JSON.stringify({
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { deployment: 'a' }, values: [[1, '0.1']] }] },
      }),
    );
    const events = join(dir, 'bad-events.json');
    writeFileSync(events, JSON.stringify([{ id: 1, time: 'yesterday', kind: 'deploy', target: 'a', description: 'x' }]));
    const badEvents = await run(['rca', '--metrics', bad, '--events', events]);
    expect(badEvents.stderr).toContain('0.time');
    expect(badEvents.stderr).toContain(
      'expected a JSON array of {id, time (ISO 8601 or epoch seconds), kind, target, description}',
    );
    const unknown = await run(['rca', '--metrics', bad, '--deployment', 'zz']);
    expect(unknown.stderr).toContain('--deployment zz has no series');
  });
});

describe('log evidence after the miner merges clusters', () => {
  it('counts one template once, with the lines of every cluster merged into it', async () => {
    const { findLogChanges } = await import('../src/analysis/rca/log-evidence.ts');
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 14, minute));
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => ({ at: at(i % 20), message: `engine step took ${10 + (i % 5)} ms` })),
      // The same event for different upstreams: one template once the host position has taken three values.
      ...['moderation', 'embeddings', 'reranker', 'guardrail'].flatMap((host, h) =>
        Array.from({ length: 3 }, (_, i) => ({ at: at(30 + h * 3 + i), message: `request to upstream ${host} timed out` })),
      ),
    ];
    const findings = findLogChanges(lines, at(25));
    const timeouts = findings.filter((f) => f.template.includes('timed out'));
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toMatchObject({ template: 'request to upstream <*> timed out', count: 12, baseline: 0, novelty: 'new' });
    expect(timeouts[0]?.example).toBe('request to upstream moderation timed out');
  });
});

describe('a long-running instance: an older change of level lasting into the window asked about', () => {
  // The metrics' source restarted 105 minutes ago (TTFT stepped up 1.8×, per-token time down, and
  // stayed there), then a deploy 10 minutes ago made every token 2.5× slower. Asked about the last hour.
  const now = T0 + 239 * 60;
  const restart = 134;
  const deploy = 229;
  const twoSteps = (deployment: string, metric: string, base: number, restarted: number, bad?: number): RcaSeries => {
    const points = Array.from({ length: 240 }, (_, i) => {
      const level = bad !== undefined && i >= deploy ? bad : i >= restart ? restarted : base;
      return { t: T0 + i * 60, v: level * (1 + 0.04 * Math.sin(i * 1.7) + 0.03 * Math.cos(i * 0.61)) };
    });
    return { deployment, metric, points };
  };
  const input = {
    deployment: 'mistral-7b',
    series: [
      twoSteps('mistral-7b', 'tpot', 0.046, 0.033, 0.084),
      twoSteps('mistral-7b', 'ttft', 0.108, 0.195, 0.29),
      twoSteps('mistral-7b', 'e2e_latency', 5, 7, 12.5),
      series('mistral-7b', 'request_rate', 2),
      twoSteps('llama-3-8b', 'tpot', 0.03, 0.022),
      series('llama-3-8b', 'request_rate', 3),
    ],
    logs: [],
    events: [
      {
        id: 'alert-gpu',
        time: new Date((now - 40 * 60) * 1000),
        kind: 'alert',
        target: 'llama-3-8b',
        description: 'GPUXidErrors firing on llama-3-8b: Xid 79 on gpu-node-2',
      },
      {
        id: 'deploy-hotfix',
        time: new Date((T0 + (deploy - 1) * 60) * 1000),
        kind: 'deploy',
        target: 'mistral-7b',
        description: 'mistral-7b v4 → v4-hotfix in prod',
      },
    ],
    focus: { start: new Date((now - 3600) * 1000), end: new Date(now * 1000) },
  };

  it('anchors the onset at the step inside the window and blames the deploy, not the restart or another deployment’s alert', () => {
    const result = rankHypotheses(input);
    expect(result.onset).toBe(new Date((T0 + deploy * 60) * 1000).toISOString());
    expect(result.hypotheses[0]).toMatchObject({ kind: 'deployment_change', event_id: 'deploy-hotfix' });
  });

  it('still finds an incident that began before the window and lasts into it', () => {
    const earlier = { ...input, focus: { start: new Date((T0 + (deploy + 5) * 60) * 1000), end: new Date(now * 1000) } };
    expect(rankHypotheses(earlier).hypotheses[0]).toMatchObject({ kind: 'deployment_change', event_id: 'deploy-hotfix' });
  });
});
