import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { changeFeed } from '../src/incidents/change-feed.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { testAssistant } from './support/test-assistant.ts';

// `llmops demo …` against the fleet a running assistant owns, as a second process on the same DATA_DIR would.
let assistant: Awaited<ReturnType<typeof testAssistant>>;

beforeAll(async () => {
  assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0' }, { demoTraffic: false });
}, 60_000);
afterAll(async () => {
  await assistant?.dispose();
});

/** The real command in its own process, as an operator runs it next to `npm start`. */
async function llmops(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, DATA_DIR: assistant.dataDir, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

describe('llmops demo', () => {
  it('injects a bad deploy into a live server, records it as a deploy, and clears it', async () => {
    const injected = await llmops('demo', 'fault', 'bad_deploy', '--deployment', 'mistral-7b', '--duration', '10m');
    expect(injected.code, injected.stderr).toBe(0);
    expect(injected.stdout).toContain('Injected bad_deploy into mistral-7b for 10m');
    const state = await (
      await fetch(`${(await assistant.deployments.endpoint('mistral-7b'))?.baseUrl.replace(/\/v1$/, '')}/admin/state`)
    ).json();
    expect((state as { faults: string[] }).faults).toEqual(['bad_deploy']);
    // The deploy the fault stands for is a change root-cause analysis can blame…
    const events = await changeFeed(new ChangeEventRepository(assistant.db), new DeploymentHistory(assistant.db))(
      new Date(Date.now() - 60_000),
      new Date(Date.now() + 60_000),
    );
    expect(events.map((e) => [e.kind, e.target, e.description])).toEqual([
      ['deployment_change', 'mistral-7b', 'deploy mistral-7b/prod v4-hotfix (was v4) (by demo)'],
    ]);
    // …and in the deployment history, so the rollback the root-cause engine suggests can be proposed.
    expect(assistant.rollouts?.planRollback('mistral-7b', 'prod').summary).toMatch(/^Roll back mistral-7b in prod to v4/);
    const cleared = await llmops('demo', 'clear', '--deployment', 'mistral-7b');
    expect(cleared.stdout).toBe('Cleared faults on mistral-7b.\n');
    const after = await (
      await fetch(`${(await assistant.deployments.endpoint('mistral-7b'))?.baseUrl.replace(/\/v1$/, '')}/admin/state`)
    ).json();
    expect((after as { faults: string[] }).faults).toEqual([]);
  });

  it('names what is wrong: an unknown fault or deployment', async () => {
    const fault = await llmops('demo', 'fault', 'meteor', '--deployment', 'mistral-7b');
    expect(fault.code).toBe(1);
    expect(fault.stderr).toContain(
      'fault "meteor" must be one of bad_deploy, kv_cache_exhaustion, gpu_xid, traffic_surge, dependency_timeout',
    );
    const deployment = await llmops('demo', 'fault', 'gpu_xid', '--deployment', 'gpt-5');
    expect(deployment.stderr).toContain('--deployment must be one of llama-3-8b, mistral-7b, qwen2-7b, not "gpt-5"');
  });
});
