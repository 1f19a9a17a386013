import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentHistory } from '../src/deployments/deployment-history.ts';
import { openDatabase } from '../src/store/database.ts';
import { tempDataDir } from './support/test-assistant.ts';

// The built command as a user runs it: `llmops` (bin/llmops.js) on the compiled dist/, in a child process.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

function freshDataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

/** The environment of a fresh machine: no keys, no Slack, our own data dir. */
function llmops(args: string[], env: Record<string, string>) {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'llmops.js'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Every file under a folder, relative to it. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(() => {
  // `npm ci` built dist/ (prepare); after a source changed, it is built again here.
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the compiled llmops command', () => {
  it('plans on a fresh DATA_DIR without starting the demo fleet: no database, no fleet, no back-filled history', () => {
    const dataDir = freshDataDir();
    const run = llmops(['plan', 'deploy llama-3-8b v2 to staging', '--json'], { DATA_DIR: dataDir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('[{"tool":"deploy_model","args":{"model":"llama-3-8b","version":"v2","environment":"staging"}}]\n');
    // Only the command's own log: the whole assistant would have left llmops.db (about 60 MB), demo/fleet.lock,
    // demo/ports.json and three servers' back-filled logs.
    expect(filesIn(dataDir)).toEqual([join('logs', 'llmops.log')]);
  });

  it("knows the deployments of a running fleet from its fleet file, as the assistant's planner does", () => {
    const dataDir = freshDataDir();
    mkdirSync(join(dataDir, 'demo'));
    // This test's process stands for the assistant that owns the fleet (a live pid other than the command's).
    const deployment = { name: 'chat-prod', environment: 'prod', version: 'v1', model: 'llama-3-8b', gpu: '1 × L4' };
    writeFileSync(
      join(dataDir, 'demo', 'fleet.json'),
      JSON.stringify({
        pid: process.pid,
        started: new Date().toISOString(),
        deployments: [{ ...deployment, dtype: 'bf16', url: '', log: '' }],
      }),
    );
    const known = llmops(['plan', 'status of chat-prod', '--json'], { DATA_DIR: dataDir });
    expect(known.code).toBe(0);
    expect(JSON.parse(known.stdout)).toEqual([{ tool: 'get_deployment_status', args: { deployment: 'chat-prod' } }]);
    // Without the fleet the name is not a deployment the planner knows: it asks about prod instead.
    const unknown = llmops(['plan', 'status of chat-prod', '--json'], { DATA_DIR: freshDataDir() });
    expect(JSON.parse(unknown.stdout)).toEqual([{ tool: 'get_deployment_status', args: { environment: 'prod' } }]);
  });

  it('knows what the deployment history runs on the local runtime, reading the database without changing it', () => {
    const dataDir = freshDataDir();
    const db = openDatabase(dataDir);
    new DeploymentHistory(db).record(
      {
        name: 'chat-prod',
        environment: 'prod',
        version: 'v1',
        model: 'llama-3-8b',
        gpu: 'L4',
        gpuCount: 1,
        dtype: 'bf16',
        replicas: 1,
        maxNumSeqs: 64,
        maxNumBatchedTokens: 8192,
        peakRatePerSecond: 1,
      },
      'U0SRE',
      'local',
      'active',
    );
    db.close();
    const before = sha256(join(dataDir, 'llmops.db'));
    const run = llmops(['plan', 'status of chat-prod', '--json'], { DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ tool: 'get_deployment_status', args: { deployment: 'chat-prod' } }]);
    expect(sha256(join(dataDir, 'llmops.db'))).toBe(before);
    expect(filesIn(dataDir).filter((file) => file.startsWith('demo'))).toEqual([]);
  });

  it('answers from the build alone: prompts, the approval policy, migrations and the planner weights are found from dist', () => {
    const dataDir = freshDataDir();
    const run = llmops(['chat', '--once', 'how much GPU memory does mistral-7b need in fp16 on an L4'], {
      DATA_DIR: dataDir,
      DEMO: 'off',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Mistral 7B in fp16 needs 13\.49 GiB for weights/);
    const proposals = llmops(['proposals'], { DATA_DIR: dataDir, DEMO: 'off' });
    expect(proposals).toEqual({ code: 0, stdout: 'No proposals await approval.\n', stderr: '' });
  });

  it("starts the local runtime's simulator as compiled JavaScript, which serves /health", async () => {
    const listed = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'deployments', 'local-runtime.js'))}); console.log(m.DEFAULT_LOCAL_COMMAND)`,
      ],
      { encoding: 'utf8' },
    );
    const template = listed.stdout.trim();
    expect(template).toContain(join(ROOT, 'dist', 'src', 'demo', 'run-simulator.js'));
    expect(template).not.toContain('tsx');
    const log = join(freshDataDir(), 'server.log');
    const values: Record<string, string> = {
      name: 'tiny',
      model: 'llama-3-8b',
      version: 'v1',
      dtype: 'bf16',
      gpu: 'L4',
      gpu_count: '1',
      max_num_seqs: '8',
      max_num_batched_tokens: '2048',
      port: '0',
      log,
    };
    const [command, ...args] = template
      .split(/\s+/)
      .map((word) => word.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`));
    const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the simulator exited with ${code} before it listened`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
        resolve((JSON.parse(line) as { port: number }).port),
      );
    });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    child.kill('SIGTERM');
  });
});
