import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { LocalRuntime } from '../src/deployments/local-runtime.ts';
import { RolloutService } from '../src/deployments/rollout-service.ts';
import { openDatabase } from '../src/store/database.ts';
import { silentLogger, tempDataDir } from './support/test-assistant.ts';

// Real child processes: the simulator started, health-checked, replaced and stopped.
const dataDir = tempDataDir();
const db = openDatabase(dataDir);
const runtime = new LocalRuntime({ dataDir, logger: silentLogger, healthTimeoutMs: 30_000 });
const history = new DeploymentHistory(db);
const rolledOut: Array<{ version: string; urls: string[] }> = [];
const rollouts = new RolloutService({
  backend: runtime,
  history,
  onRolledOut: async (spec, urls) => void rolledOut.push({ version: spec.version, urls }),
});

afterAll(async () => {
  await runtime.stopAll();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const state = async (url: string) => (await (await fetch(`${url}/admin/state`)).json()) as { version: string; name: string };
const reachable = (url: string) =>
  fetch(`${url}/health`).then(
    () => true,
    () => false,
  );

describe('local runtime', () => {
  it('deploys, replaces, rolls back and scales real child processes', async () => {
    const first = await rollouts.apply(
      rollouts.planDeploy({ model: 'llama-3-8b', version: 'v1', environment: 'staging' }),
      'U0ALICE',
    );
    expect(first.status).toBe('ok');
    const v1 = runtime.urls('llama-3-8b', 'staging');
    expect(v1).toHaveLength(1);
    expect((await state(v1[0] as string)).version).toBe('v1');

    const plan = rollouts.planDeploy({ model: 'llama-3-8b', version: 'v2', environment: 'staging' });
    expect(plan.details.changes).toEqual(['version v1 → v2']);
    expect((await rollouts.apply(plan, 'U0ALICE')).status).toBe('ok');
    const v2 = runtime.urls('llama-3-8b', 'staging');
    expect((await state(v2[0] as string)).version).toBe('v2');
    expect(await reachable(v1[0] as string)).toBe(false); // the old process is gone

    const back = rollouts.planRollback('llama-3-8b', undefined);
    expect(back.summary).toMatch(/^Roll back llama-3-8b in staging to v1/);
    expect((await rollouts.apply(back, 'U0BOB')).status).toBe('ok');
    expect((await state(runtime.urls('llama-3-8b', 'staging')[0] as string)).version).toBe('v1');

    expect((await rollouts.apply(rollouts.planScale('llama-3-8b', 'staging', 2), 'U0BOB')).status).toBe('ok');
    const two = runtime.urls('llama-3-8b', 'staging');
    expect(two).toHaveLength(2);
    expect(await Promise.all(two.map(reachable))).toEqual([true, true]);

    expect((await rollouts.apply(rollouts.planScale('llama-3-8b', 'staging', 0), 'U0BOB')).status).toBe('ok');
    expect(runtime.urls('llama-3-8b', 'staging')).toEqual([]);
    expect(await Promise.all(two.map(reachable))).toEqual([false, false]);
    expect(rolledOut.map((r) => r.version)).toEqual(['v1', 'v2', 'v1', 'v1', 'v1']);
    expect(history.entries('llama-3-8b', 'staging').map((e) => `${e.version}:${e.outcome}`)).toEqual([
      'v1:superseded',
      'v2:superseded',
      'v1:superseded',
      'v1:superseded',
      'v1:active',
    ]);
  }, 120_000);

  it("reports a failed rollout with the server's own words and keeps the old version serving", async () => {
    await rollouts.apply(rollouts.planDeploy({ model: 'mistral-7b', version: 'v1', environment: 'dev' }), 'U0ALICE');
    const serving = runtime.urls('mistral-7b', 'dev');
    // 7B weights in fp32 (27 GiB) do not fit one L4: the simulator refuses to start, as vLLM would.
    const result = await rollouts.apply(
      rollouts.planDeploy({ model: 'mistral-7b', version: 'v2', environment: 'dev', gpu_type: 'L4', quantization: 'fp32' }),
      'U0ALICE',
    );
    expect(result.status).toBe('error');
    expect(result.summary).toMatch(
      /^Rollout of mistral-7b v2 to dev failed: the server exited \(1\) before it was healthy: .*does not fit on 1 × L4/,
    );
    expect(result.summary).toContain('The previous version keeps serving.');
    expect(runtime.urls('mistral-7b', 'dev')).toEqual(serving);
    expect(await reachable(serving[0] as string)).toBe(true);
    expect(history.current('mistral-7b', 'dev')?.version).toBe('v1');
  }, 60_000);
});
