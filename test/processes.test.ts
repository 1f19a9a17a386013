import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { startService } from './support/start-service.ts';
import { tempDataDir } from './support/test-assistant.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment of a fresh machine: no keys, no Slack, a data dir of its own (the tests run at
 * once, and two commands on one DATA_DIR share one fleet). Without history unless a test needs it.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dataDir = tempDataDir();
  dataDirs.push(dataDir);
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DEMO_BACKFILL_DAYS: '0', ...extra };
}

/** Runs `llmops` as installed (the package's bin), or as the README shows it through npm. */
function llmops(args: string[], extra: Record<string, string> = {}, { viaNpm = false } = {}) {
  const [command, argv] = viaNpm
    ? ['npm', ['run', '-s', 'llmops', '--', ...args]]
    : [process.execPath, [`${ROOT}bin/llmops.js`, ...args]];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(command, argv, { cwd: ROOT, env: cleanEnv(extra), encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Each test is its own processes on its own data dir, mostly waiting on them: they run at once.
describe.concurrent('the llmops command', () => {
  it("plan --json prints the deploy_model call with the request's arguments, executing nothing", async ({ expect }) => {
    const run = await llmops(['plan', 'deploy llama-3-8b v2 to staging', '--json'], {}, { viaNpm: true });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { tool: 'deploy_model', args: { model: 'llama-3-8b', version: 'v2', environment: 'staging' } },
    ]);
  });

  it('chat --once answers one request and exits', async ({ expect }) => {
    const run = await llmops(['chat', '--once', 'how much GPU memory does mistral-7b need in fp16 on an L4']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Mistral 7B in fp16 needs 13\.49 GiB for weights/);
    expect(run.stderr).toBe('');
  });

  it('on a fresh start answers a metrics question with a number, a summary and a PNG chart', async ({ expect }) => {
    // The first start back-fills history (a day is plenty for the last 10 minutes; the default is 14).
    const run = await llmops(['chat', '--once', 'p95 ttft of llama-3-8b over the last 10 minutes'], { DEMO_BACKFILL_DAYS: '1' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const match =
      /^p95 TTFT over last 10m: llama-3-8b: (\d+(?:\.\d+)?) (ms|s) now \(min .*, mean .*, max .*\)\. Source: embedded \(vllm:time_to_first_token_seconds\)\. Chart: (\S+\.png)$/m.exec(
        run.stdout,
      );
    expect(match, run.stdout).not.toBeNull();
    expect(Number(match?.[1])).toBeGreaterThan(0);
    const png = readFileSync(match?.[3] as string);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('proposes a prod deploy from chat --once, and approve --as runs it', async ({ expect }) => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const proposed = await llmops(['chat', '--once', 'deploy qwen2-7b v2 to prod'], { DATA_DIR: dataDir });
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toMatch(/^Proposal 1 awaits approval by group:sre .*Deploy qwen2-7b v2 to prod — 1 × \(1 × L40S\)/);
    const refused = await llmops(['approve', '1', '--as', 'U0MLP'], { DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('U0MLP may not approve proposal 1: approvers are group:sre.\n');
    const approved = await llmops(['approve', '1', '--as', 'U0SRE'], { DATA_DIR: dataDir });
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^Proposal 1 approved by U0SRE and done: .*qwen2-7b v2 serves in prod on 1 replica/);
  }, 60_000);

  it('chat --once with the LLM unreachable prints one line saying what to check, and nothing on stderr', async ({ expect }) => {
    const run = await llmops(['chat', '--once', 'status of mistral-7b'], {
      DEMO: 'off',
      OPENAI_BASE_URL: 'http://127.0.0.1:59999/v1',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'Sorry, I could not finish that: The language model gpt-4o-mini (openai at http://127.0.0.1:59999/v1) could not be reached (connect ECONNREFUSED 127.0.0.1:59999); check OPENAI_BASE_URL and that the server is running.\n',
    );
    expect(run.stderr).toBe('');
  });

  it('an unknown command gets the usage and exit code 2', async ({ expect }) => {
    const run = await llmops(['deploy-everything']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('llmops: unknown command "deploy-everything".');
    expect(run.stderr).toContain('Usage: llmops <command>');
  });

  it('a wrong option is named', async ({ expect }) => {
    const run = await llmops(['estimate', 'llama-3-8b', '--gpus', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--gpus must be a positive whole number, got "many"');
  });

  it('a configuration error stops the command with the variable named', async ({ expect }) => {
    const run = await llmops(['plan', 'status'], { AGENT_MAX_STEPS: 'lots' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('AGENT_MAX_STEPS="lots": must be a whole number from 1 to 50');
  });
});

describe.concurrent('npm start without a terminal', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('runs as a service with /healthz and /metrics on PORT, and stops cleanly on SIGTERM', async ({ expect }) => {
    const started = await startService(cleanEnv({ PORT: '0' }));
    child = started.child;
    const port = started.port;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, checks: { database: 'ok' }, provider: 'offline' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('# TYPE llmops_llm_call_duration_seconds histogram');
    expect(metrics).toContain('# TYPE llmops_tool_call_duration_seconds histogram');
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' })).status).toBe(405);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to start on a bad setting, naming it', async ({ expect }) => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        'npm',
        ['start', '-s'],
        { cwd: ROOT, env: cleanEnv({ PORT: 'http' }), encoding: 'utf8', timeout: 60_000 },
        (error, _stdout, stderr) =>
          resolve({ code: error && typeof error.code === 'number' ? error.code : error ? null : 0, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PORT="http": must be a whole number from 0 to 65535');
  });
});
