import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusTargetsPath } from '../src/demo/prometheus-targets.ts';
import { type RunningPrometheus, startPrometheus } from './support/prometheus-server.ts';
import { testAssistant } from './support/test-assistant.ts';

// A real Prometheus (Debian's package) configured as the README says: file_sd on the fleet's
// targets file. It must find exactly the fleet's replicas, labelled, and follow a rollout.
let assistant: Awaited<ReturnType<typeof testAssistant>>;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0' }, { demoTraffic: false });
  prometheus = await startPrometheus({
    targets: [],
    scrapeIntervalSeconds: 1,
    fileSd: [prometheusTargetsPath(assistant.dataDir)],
    honorLabels: true,
  });
}, 60_000);
afterAll(async () => {
  await prometheus?.stop();
  await assistant?.dispose();
});

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
}

/** What Prometheus scrapes: one line per target, `deployment/environment version instance health`. */
async function scraped(): Promise<string[]> {
  const body = (await (await fetch(`${prometheus.url}/api/v1/targets?state=active`)).json()) as {
    data: { activeTargets: ActiveTarget[] };
  };
  return body.data.activeTargets
    .map((t) => `${t.labels.deployment}/${t.labels.environment} ${t.labels.version} ${t.labels.instance} ${t.health}`)
    .sort();
}

/** The fleet as it describes itself, in the same form. */
function running(): string[] {
  return (assistant.fleet?.describe().deployments ?? [])
    .flatMap((d) => (d.urls ?? []).map((url) => `${d.name}/${d.environment} ${d.version} ${new URL(url).host} up`))
    .sort();
}

/** Polls until `read` returns what `expected` gives, or fails with the last value seen. */
async function until<T>(read: () => Promise<T>, expected: () => T, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected())) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(last).toEqual(expected());
}

describe('Prometheus file-based service discovery of the demo fleet', () => {
  it('scrapes exactly the running replicas with their labels, and follows a rollout on the same port', async () => {
    await until(scraped, running);
    expect(running()).toHaveLength(3);

    // The target labels reach the series, so PromQL can select by environment.
    await until(
      async () => {
        const body = (await (
          await fetch(
            `${prometheus.url}/api/v1/query?query=${encodeURIComponent('vllm:num_requests_running{environment="staging"}')}`,
          )
        ).json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
        return body.data.result.map((r) => `${r.metric.model_name} ${r.metric.deployment} ${r.metric.version}`);
      },
      () => ['qwen2-7b qwen2-7b v1'],
    );

    const before = running().find((line) => line.startsWith('qwen2-7b/staging'));
    const rollout = await assistant.rollouts.apply(
      assistant.rollouts.planDeploy({ model: 'qwen2-7b', version: 'v2', environment: 'staging' }),
      'U0ALICE',
    );
    expect(rollout.status, rollout.summary).toBe('ok');
    await until(scraped, running);
    expect(running().find((line) => line.startsWith('qwen2-7b/staging'))).toBe(before?.replace(' v1 ', ' v2 '));
  }, 60_000);
});
