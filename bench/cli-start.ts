import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COUNTER = fileURLToPath(new URL('./support/module-counter.mjs', import.meta.url));
const BEFORE = fileURLToPath(new URL('./support/plan-through-assistant.ts', import.meta.url));

interface Case {
  name: string;
  args: string[];
  /** A DATA_DIR for one run: fresh for `plan`, shared (its database made once) for `proposals`. */
  dataDir: () => string;
  /** What a correct run prints first; a run that prints anything else stops the bench. */
  expect: string;
}

interface Form {
  name: string;
  /** node's arguments before the command's. */
  node: string[];
}

const FORMS: Form[] = [
  { name: 'compiled (bin/llmops.js → dist/)', node: [join(ROOT, 'bin', 'llmops.js')] },
  { name: 'tsx (sources)', node: ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** A causal-scoring input: a daily-seasonal series of `rows` half-hours with one spike. */
function smallCsv(file: string, rows: number): string {
  const start = Date.UTC(2024, 0, 1);
  const lines = ['timestamp,value'];
  for (let i = 0; i < rows; i++) {
    const stamp = new Date(start + i * 1_800_000).toISOString().slice(0, 19).replace('T', ' ');
    lines.push(`${stamp},${(10 + 3 * Math.sin((i * 2 * Math.PI) / 48) + (i === rows - 50 ? 25 : 0)).toFixed(3)}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function run(node: string[], env: NodeJS.ProcessEnv, countTo?: string): { ms: number; stdout: string; stderr: string } {
  const args = countTo ? ['--import', COUNTER, ...node] : node;
  const started = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...(countTo ? { MODULE_COUNT_FILE: countTo } : {}) },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${child.status}: ${child.stderr}`);
  return { ms, stdout: child.stdout, stderr: child.stderr };
}

/** Modules a command loads (ES and CommonJS, each file once). */
function countModules(node: string[], env: NodeJS.ProcessEnv, scratch: string): number {
  const file = join(scratch, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, '');
  run(node, env, file);
  const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(decodeURI);
  return new Set(loaded.filter((url) => !url.startsWith(`file://${COUNTER}`) && !url.includes('module-counter-hooks'))).size;
}

/**
 * Start-up of `llmops` commands as a user runs them, whole processes side by side in one run:
 * `node -e 0`, then plan, estimate, logs parse, anomalies score and proposals, compiled and through
 * tsx, round-robin so that a busy machine slows all alike, and `plan` as it was before (tsx and the
 * whole assistant). Prints medians and ratios to `node -e 0`, and the modules each command loads.
 */
export async function benchCliStart(runs = 7, beforeRuns = 3): Promise<void> {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed; the compiled CLI cannot be measured');
  const scratch = mkdtempSync(join(tmpdir(), 'llmops-bench-cli-'));
  const fresh: string[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(scratch, 'data-'));
    fresh.push(dir);
    return dir;
  };
  const stateDir = freshDataDir();
  const csv = smallCsv(join(scratch, 'series.csv'), 600);
  const cases: Case[] = [
    {
      name: 'plan "deploy llama-3-8b v2 to staging" --json (fresh DATA_DIR)',
      args: ['plan', 'deploy llama-3-8b v2 to staging', '--json'],
      dataDir: freshDataDir,
      expect: '[{"tool":"deploy_model","args":{"model":"llama-3-8b","version":"v2","environment":"staging"}}]',
    },
    {
      name: 'estimate llama-3-70b --dtype fp8 --concurrency 8 --gpu H100',
      args: ['estimate', 'llama-3-70b', '--dtype', 'fp8', '--concurrency', '8', '--gpu', 'H100'],
      dataDir: () => stateDir,
      expect: 'Llama 3 70B in fp8 needs 65.7 GiB',
    },
    {
      name: 'logs parse HDFS_2k.log (Loghub sample)',
      args: [
        'logs',
        'parse',
        join(ROOT, 'test', 'fixtures', 'loghub', 'HDFS', 'HDFS_2k.log'),
        '--format',
        '<Date> <Time> <Pid> <Level> <Component>: <Content>',
      ],
      dataDir: () => stateDir,
      expect: 'LineId,EventId,EventTemplate',
    },
    {
      name: 'anomalies score (600-row CSV)',
      args: ['anomalies', 'score', csv],
      dataDir: () => stateDir,
      expect: 'timestamp,value,anomaly_score',
    },
    { name: 'proposals', args: ['proposals'], dataDir: () => stateDir, expect: 'No proposals await approval.' },
  ];
  try {
    // The shared DATA_DIR gets its database once, as a user's would have it already.
    run([...(FORMS[0] as Form).node, 'proposals'], { DATA_DIR: stateDir });
    const baseline: number[] = [];
    const times = cases.map(() => FORMS.map(() => [] as number[]));
    for (let round = 0; round < runs; round++) {
      baseline.push(run(['-e', '0'], {}).ms);
      for (const [c, item] of cases.entries()) {
        for (const [f, form] of FORMS.entries()) {
          const result = run([...form.node, ...item.args], { DATA_DIR: item.dataDir() });
          if (!result.stdout.startsWith(item.expect))
            throw new Error(`${form.name} ${item.name} printed ${JSON.stringify(result.stdout.slice(0, 200))}`);
          times[c]?.[f]?.push(result.ms);
        }
      }
    }
    // The reference: plan as it was, through tsx and the whole assistant (fresh DATA_DIR), fewer runs as each takes seconds.
    const before: number[] = [];
    for (let round = 0; round < beforeRuns; round++) {
      baseline.push(run(['-e', '0'], {}).ms);
      const result = run(['--import', 'tsx', BEFORE, 'deploy llama-3-8b v2 to staging'], { DATA_DIR: freshDataDir() });
      if (!result.stdout.startsWith(cases[0]?.expect ?? '')) throw new Error(`the whole assistant planned ${result.stdout}`);
      before.push(result.ms);
    }
    const base = median(baseline);
    const cell = (ms: number) => `${ms.toFixed(0).padStart(5)} ms ${`${(ms / base).toFixed(1)}×`.padStart(6)}`;
    console.log(
      `\nllmops start-up, whole processes (median of ${runs} runs each, round-robin; × = ratio to node -e 0 in this run)`,
    );
    console.log(`${'command'.padEnd(62)}| compiled         | tsx (sources)    | modules compiled / tsx`);
    console.log(`${'-'.repeat(62)}|------------------|------------------|-----------------------`);
    console.log(`${'node -e 0'.padEnd(62)}| ${cell(base)} |                  |`);
    for (const [c, item] of cases.entries()) {
      const [compiled, tsx] = (times[c] ?? []).map(median) as [number, number];
      const modules = FORMS.map((form) => countModules([...form.node, ...item.args], { DATA_DIR: item.dataDir() }, scratch));
      console.log(`${item.name.padEnd(62)}| ${cell(compiled)} | ${cell(tsx)} | ${modules.join(' / ')}`);
    }
    console.log(
      `${`plan as before: tsx + whole assistant (median of ${beforeRuns})`.padEnd(62)}|                  | ${cell(median(before))} | ${countModules(['--import', 'tsx', BEFORE, 'deploy llama-3-8b v2 to staging'], { DATA_DIR: freshDataDir() }, scratch)} (tsx)`,
    );
  } finally {
    for (const dir of fresh) rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await benchCliStart(Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 3));
