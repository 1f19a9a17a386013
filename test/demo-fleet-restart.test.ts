import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusTargetsPath } from '../src/demo/prometheus-targets.ts';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { tempDataDir, testAssistant } from './support/test-assistant.ts';

// `npm start` twice on one DATA_DIR, with real servers, child processes and SQLite in between.
type TestAssistant = Awaited<ReturnType<typeof testAssistant>>;
const dataDir = tempDataDir();
const running: TestAssistant[] = [];
afterAll(async () => {
  for (const assistant of running.splice(0)) await assistant.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<TestAssistant> {
  const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0' }, { demoTraffic: false }, dataDir);
  running.push(assistant);
  return assistant;
}

async function stop(assistant: TestAssistant): Promise<void> {
  running.splice(running.indexOf(assistant), 1);
  await assistant.close();
}

/** Where each deployment in each environment is served, as the fleet tells other processes. */
function addresses(assistant: TestAssistant): Record<string, string[]> {
  const fleet = assistant.fleet?.describe().deployments ?? [];
  return Object.fromEntries(fleet.map((d) => [`${d.name}/${d.environment}`, d.urls ?? []]));
}

/** The Prometheus file_sd file, as targets per deployment/environment with their labels. */
function fileSd(): Record<string, { targets: string[]; version: string }> {
  const groups = JSON.parse(readFileSync(prometheusTargetsPath(dataDir), 'utf8')) as Array<{
    targets: string[];
    labels: Record<string, string>;
  }>;
  return Object.fromEntries(
    groups.map((g) => {
      expect(Object.keys(g.labels).sort()).toEqual(['deployment', 'environment', 'model_name', 'version']);
      expect(g.labels.model_name).toBe(g.labels.deployment);
      return [`${g.labels.deployment}/${g.labels.environment}`, { targets: g.targets, version: g.labels.version as string }];
    }),
  );
}

// Each look on a connection of its own: a kept-alive one to a slot's previous process is closed at
// cut-over, and reusing it just as it closes fails the way any HTTP client's idle socket can.
const ownConnection = { headers: { connection: 'close' } };
const state = async (url: string) =>
  (await (await fetch(`${url}/admin/state`, ownConnection)).json()) as {
    name: string;
    version: string;
    gpu: string;
    max_num_seqs: number;
  };
const servedModel = async (url: string) =>
  ((await (await fetch(`${url}/v1/models`, ownConnection)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
const answers = (url: string) =>
  fetch(`${url}/health`, { ...ownConnection, signal: AbortSignal.timeout(2000) }).then(
    (response) => response.ok,
    () => false,
  );
const hostsOf = (urls: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(urls).map(([key, list]) => [key, list.map((url) => new URL(url).host)]));

describe('the demo fleet across a restart', () => {
  it('comes back with the deployed versions, the dev deployment and the same ports, and Prometheus sees exactly what runs', async () => {
    const first = await start();
    const fresh = addresses(first);
    expect(Object.keys(fresh)).toEqual(['llama-3-8b/prod', 'mistral-7b/prod', 'qwen2-7b/staging']);

    // A new version on other hardware in staging, and the same model in dev on two replicas.
    const upgrade = await first.rollouts.apply(
      first.rollouts.planDeploy({
        model: 'qwen2-7b',
        version: 'v3',
        environment: 'staging',
        gpu_type: 'A100-80GB',
        max_num_seqs: 96,
      }),
      'U0ALICE',
    );
    expect(upgrade.status, upgrade.summary).toBe('ok');
    const devPlan = first.rollouts.planDeploy({ model: 'qwen2-7b', version: 'v4-rc1', environment: 'dev', replicas: 2 });
    const devGpu = `${devPlan.details.spec.gpuCount} × ${devPlan.details.spec.gpu}`;
    const dev = await first.rollouts.apply(devPlan, 'U0ALICE');
    expect(dev.status, dev.summary).toBe('ok');

    const before = addresses(first);
    // The rollout kept staging's address; dev joined beside it instead of replacing it.
    expect(before['qwen2-7b/staging']).toEqual(fresh['qwen2-7b/staging']);
    expect(before['qwen2-7b/dev']).toHaveLength(2);
    expect(Object.keys(before)).toEqual([...Object.keys(fresh), 'qwen2-7b/dev']);
    const stagingUrl = before['qwen2-7b/staging']?.[0] as string;
    expect(await state(stagingUrl)).toMatchObject({ version: 'v3', gpu: '1 × A100-80GB', max_num_seqs: 96 });
    expect(Object.fromEntries(Object.entries(fileSd()).map(([key, group]) => [key, group.targets]))).toEqual(hostsOf(before));
    const recorded = new DeploymentHistory(first.db).active().map((e) => `${e.name}/${e.environment} ${e.version}`);

    await stop(first);
    const everyUrl = Object.values(before).flat();
    expect(await Promise.all(everyUrl.map(answers))).toEqual(everyUrl.map(() => false));

    const second = await start();
    expect(addresses(second)).toEqual(before);
    // What serves there is what the history says, asked of the servers themselves.
    expect(await state(stagingUrl)).toMatchObject({ version: 'v3', gpu: '1 × A100-80GB', max_num_seqs: 96 });
    for (const url of before['qwen2-7b/dev'] ?? []) {
      expect(await state(url)).toMatchObject({ name: 'qwen2-7b', version: 'v4-rc1', gpu: devGpu });
      expect(await servedModel(url)).toEqual(['qwen2-7b']);
    }
    const status = await second.deployments.list();
    expect(status.map((d) => `${d.name}/${d.environment} ${d.version} ×${d.replicas} ${d.healthy}`)).toEqual([
      'llama-3-8b/prod v2 ×1 true',
      'mistral-7b/prod v4 ×1 true',
      'qwen2-7b/staging v3 ×1 true',
      'qwen2-7b/dev v4-rc1 ×2 true',
    ]);
    // A restart records nothing: it runs what was recorded.
    expect(new DeploymentHistory(second.db).active().map((e) => `${e.name}/${e.environment} ${e.version}`)).toEqual(recorded);
    const sd = fileSd();
    expect(Object.fromEntries(Object.entries(sd).map(([key, group]) => [key, group.targets]))).toEqual(hostsOf(before));
    expect(sd['qwen2-7b/staging']?.version).toBe('v3');
    const targets = Object.values(sd).flatMap((group) => group.targets);
    expect(await Promise.all(targets.map((host) => answers(`http://${host}`)))).toEqual(targets.map(() => true));
  }, 120_000);

  it('a rollout and a scale-down after the restart keep the slots’ ports, and the file_sd file follows', async () => {
    const assistant = running[0] as TestAssistant;
    const before = addresses(assistant);
    const stagingUrl = before['qwen2-7b/staging']?.[0] as string;
    const [devFirst, devSecond] = before['qwen2-7b/dev'] as [string, string];

    const rollout = await assistant.rollouts.apply(
      assistant.rollouts.planDeploy({ model: 'qwen2-7b', version: 'v5', environment: 'staging' }),
      'U0BOB',
    );
    expect(rollout.status, rollout.summary).toBe('ok');
    expect(addresses(assistant)['qwen2-7b/staging']).toEqual([stagingUrl]);
    expect((await state(stagingUrl)).version).toBe('v5');
    expect(fileSd()['qwen2-7b/staging']).toEqual({ targets: [new URL(stagingUrl).host], version: 'v5' });

    const scaled = await assistant.rollouts.apply(assistant.rollouts.planScale('qwen2-7b', 'dev', 1), 'U0BOB');
    expect(scaled.status, scaled.summary).toBe('ok');
    expect(addresses(assistant)['qwen2-7b/dev']).toEqual([devFirst]);
    expect(fileSd()['qwen2-7b/dev']?.targets).toEqual([new URL(devFirst).host]);
    expect(await answers(devSecond)).toBe(false);
    expect(await answers(devFirst)).toBe(true);

    // Scaled to zero, the deployment leaves the targets file; scaled up again, it gets its ports back.
    expect((await assistant.rollouts.apply(assistant.rollouts.planScale('qwen2-7b', 'dev', 0), 'U0BOB')).status).toBe('ok');
    expect(fileSd()['qwen2-7b/dev']).toBeUndefined();
    expect(await answers(devFirst)).toBe(false);
    expect((await assistant.deployments.list()).find((d) => d.name === 'qwen2-7b' && d.environment === 'dev')).toMatchObject({
      replicas: 0,
      healthy: false,
      health: 'no replica serves (scaled to 0, or it could not be started)',
    });
    expect((await assistant.rollouts.apply(assistant.rollouts.planScale('qwen2-7b', 'dev', 2), 'U0BOB')).status).toBe('ok');
    expect(addresses(assistant)['qwen2-7b/dev']).toEqual([devFirst, devSecond]);
    expect(fileSd()['qwen2-7b/dev']?.targets).toEqual([devFirst, devSecond].map((url) => new URL(url).host));
  }, 120_000);
});
