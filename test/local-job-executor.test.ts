import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobCommand } from '../src/jobs/job-executor.ts';
import { LocalJobExecutor } from '../src/jobs/local-job-executor.ts';

// Real child processes: Node itself running small scripts, as a quantisation script would run.
const node = (script: string, extra: Partial<JobCommand> = {}): JobCommand => ({
  command: [process.execPath, '-e', script],
  ...extra,
});

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'local-job-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect() {
  const lines: string[] = [];
  return { lines, onLog: (line: string) => lines.push(line) };
}

/** Whether a process still runs: a zombie waiting for its (re-)parent to reap it counts as gone. */
function processAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until the process is gone, up to a second; whether it is still running afterwards. */
async function stillRunningAfterWait(pid: number): Promise<boolean> {
  for (let i = 0; i < 20 && processAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return processAlive(pid);
}

describe('local job executor', () => {
  it("keeps the assistant's own credentials out of a job's environment, and passes the rest", async () => {
    const saved = { SLACK_BOT_TOKEN: process.env.SLACK_BOT_TOKEN, HF_TOKEN: process.env.HF_TOKEN };
    process.env.SLACK_BOT_TOKEN = 'xoxb-not-for-jobs';
    process.env.HF_TOKEN = 'hf_for_the_download';
    try {
      const log = collect();
      const outcome = await new LocalJobExecutor().run(
        'env',
        node('console.log(process.env.SLACK_BOT_TOKEN ?? "absent", process.env.HF_TOKEN)'),
        { signal: new AbortController().signal, onLog: log.onLog },
      );
      expect(outcome.ok).toBe(true);
      expect(log.lines).toEqual(['absent hf_for_the_download']);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('streams stdout and stderr lines in the order printed, progress-bar steps and a final partial line included', async () => {
    const executor = new LocalJobExecutor();
    const log = collect();
    const script = `
      const wait = () => new Promise((r) => setTimeout(r, 30));
      (async () => {
        process.stdout.write('loading model\\n');
        await wait();
        process.stderr.write('warning: slow tokenizer\\n');
        await wait();
        process.stdout.write('calib  10%\\rcalib  50%\\rcalib 100%\\r\\n');
        await wait();
        process.stdout.write('writing shard 1');
        await wait();
        process.stdout.write(' of 2\\nwrote model.safetensors');
      })();`;
    const outcome = await executor.run('quantise', node(script), { signal: new AbortController().signal, onLog: log.onLog });
    expect(log.lines).toEqual([
      'loading model',
      'warning: slow tokenizer',
      'calib  10%',
      'calib  50%',
      'calib 100%',
      'writing shard 1 of 2',
      'wrote model.safetensors',
    ]);
    expect(outcome).toEqual({ ok: true, exitCode: 0, lastLines: log.lines });
  });

  it('reports a non-zero exit with its code and the last 20 lines', async () => {
    const executor = new LocalJobExecutor();
    const log = collect();
    const script = `
      for (let i = 1; i <= 25; i++) console.log('step ' + i);
      console.error('CUDA out of memory');
      process.exit(2);`;
    const outcome = await executor.run('quantise', node(script), { signal: new AbortController().signal, onLog: log.onLog });
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.reason).toBe('exit code 2');
    expect(outcome.lastLines).toHaveLength(20);
    expect(outcome.lastLines[0]).toBe('step 7');
    expect(outcome.lastLines.at(-1)).toBe('CUDA out of memory');
    expect(log.lines).toHaveLength(26);
  });

  it('says the command was not found instead of rejecting', async () => {
    const executor = new LocalJobExecutor();
    const outcome = await executor.run(
      'quantise',
      { command: ['llmops-no-such-quantiser', '--bits', '4'] },
      { signal: new AbortController().signal, onLog: () => undefined },
    );
    expect(outcome).toEqual({ ok: false, exitCode: null, reason: 'command not found: llmops-no-such-quantiser', lastLines: [] });
  });

  it('says which working directory is missing, not that the command is', async () => {
    const executor = new LocalJobExecutor();
    const missing = join(dir, 'no-such-dir');
    const outcome = await executor.run('quantise', node('', { workDir: missing }), {
      signal: new AbortController().signal,
      onLog: () => undefined,
    });
    expect(outcome.reason).toBe(`working directory not found: ${missing}`);
  });

  it('runs in the working directory with the given environment over the inherited one', async () => {
    const executor = new LocalJobExecutor();
    const log = collect();
    process.env.LLMOPS_TEST_INHERITED = 'from-parent';
    try {
      const script = `console.log(process.cwd()); console.log(process.env.HF_HOME); console.log(process.env.LLMOPS_TEST_INHERITED);`;
      const outcome = await executor.run('quantise', node(script, { workDir: dir, env: { HF_HOME: '/models/cache' } }), {
        signal: new AbortController().signal,
        onLog: log.onLog,
      });
      expect(outcome.ok).toBe(true);
      expect(log.lines).toEqual([dir, '/models/cache', 'from-parent']);
    } finally {
      delete process.env.LLMOPS_TEST_INHERITED;
    }
  });

  it('cancelling stops a long-running job and resolves as cancelled', async () => {
    const executor = new LocalJobExecutor();
    const controller = new AbortController();
    const log = collect();
    const started = Date.now();
    const script = `console.log('pid ' + process.pid); setInterval(() => console.log('still distilling'), 50);`;
    const outcome = await executor.run('distil', node(script), {
      signal: controller.signal,
      onLog: (line) => {
        log.onLog(line);
        if (line === 'still distilling') controller.abort();
      },
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe('cancelled');
    expect(outcome.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    const pid = Number(log.lines[0]?.replace('pid ', ''));
    expect(pid).toBeGreaterThan(0);
    expect(await stillRunningAfterWait(pid)).toBe(false);
  });

  it('a job that ignores SIGTERM is killed with SIGKILL after the grace period, its children too', async () => {
    const executor = new LocalJobExecutor({ killGraceMs: 300 });
    const controller = new AbortController();
    const log = collect();
    // The parent and a forked worker both ignore SIGTERM, as a stuck data loader might.
    const worker = `process.on('SIGTERM', () => {}); console.log('worker ' + process.pid); setInterval(() => {}, 1000);`;
    const script = `
      process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
      require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(worker)}], { stdio: 'inherit' });
      setInterval(() => {}, 1000);`;
    let abortedAt = 0;
    const outcome = await executor.run('distil', node(script), {
      signal: controller.signal,
      onLog: (line) => {
        log.onLog(line);
        if (line.startsWith('worker ')) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    const waited = Date.now() - abortedAt;
    expect(outcome).toMatchObject({ ok: false, exitCode: null, reason: 'cancelled' });
    expect(log.lines).toContain('ignoring SIGTERM');
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(3000);
    const workerPid = Number(log.lines.find((line) => line.startsWith('worker '))?.replace('worker ', ''));
    expect(workerPid).toBeGreaterThan(0);
    expect(await stillRunningAfterWait(workerPid)).toBe(false);
  });

  it('does not start a job whose signal is already aborted', async () => {
    const executor = new LocalJobExecutor();
    const controller = new AbortController();
    controller.abort();
    const log = collect();
    const outcome = await executor.run('quantise', node(`console.log('ran')`), { signal: controller.signal, onLog: log.onLog });
    expect(outcome.reason).toBe('cancelled');
    expect(log.lines).toEqual([]);
  });

  it('renders the command line quoted for a POSIX shell', () => {
    const executor = new LocalJobExecutor();
    const rendered = executor.render('quantise', {
      command: ['python', '-m', 'llmcompressor.run', '--recipe', "it's w4a16.yaml", '--out', '/models/llama 3'],
      env: { HF_HOME: '/models/cache', NOTE: 'a b' },
      workDir: '/srv/jobs',
    });
    expect(rendered).toBe(
      "cd /srv/jobs && HF_HOME=/models/cache NOTE='a b' python -m llmcompressor.run --recipe 'it'\\''s w4a16.yaml' --out '/models/llama 3'",
    );
  });
});
