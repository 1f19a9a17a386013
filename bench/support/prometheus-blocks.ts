import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/net/free-port.ts';

const run = promisify(execFile);

/** Prometheus' block length: promtool re-reads its whole input once per block, so each block gets its own file. */
const BLOCK_MS = 2 * 3_600_000;
const FLUSH_BYTES = 1 << 20;

/**
 * Samples in OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`, written to
 * one file per two-hour block (each series' samples must come in time order within a file).
 */
export class OpenMetricsBlocks {
  private readonly pending = new Map<number, string[]>();
  private readonly sizes = new Map<number, number>();
  private readonly files = new Map<number, number>();
  samples = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** One sample: `series` is `name{labels}` as OpenMetrics writes it; `t` is unix seconds. */
  add(series: string, value: number, t: number): void {
    const block = Math.floor((t * 1000) / BLOCK_MS);
    let lines = this.pending.get(block);
    if (!lines) {
      lines = [];
      this.pending.set(block, lines);
    }
    const line = `${series} ${formatValue(value)} ${t}\n`;
    lines.push(line);
    this.samples++;
    const size = (this.sizes.get(block) ?? 0) + line.length;
    this.sizes.set(block, size);
    if (size > FLUSH_BYTES) this.flush(block);
  }

  /** Writes what is pending, ends each file with `# EOF` and returns their paths. */
  close(): string[] {
    for (const block of this.pending.keys()) this.flush(block);
    const paths: string[] = [];
    for (const [block, fd] of this.files) {
      writeSync(fd, '# EOF\n');
      closeSync(fd);
      paths.push(this.pathOf(block));
    }
    return paths;
  }

  private flush(block: number): void {
    const lines = this.pending.get(block);
    if (!lines || lines.length === 0) return;
    let fd = this.files.get(block);
    if (fd === undefined) {
      fd = openSync(this.pathOf(block), 'w');
      this.files.set(block, fd);
    }
    writeSync(fd, lines.join(''));
    this.pending.set(block, []);
    this.sizes.set(block, 0);
  }

  private pathOf(block: number): string {
    return join(this.dir, `block-${block}.om`);
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Runs promtool on each file (two at a time) into `tsdbDir`. */
export async function createBlocks(files: readonly string[], tsdbDir: string): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, tsdbDir], { maxBuffer: 1 << 24 });
    }
  };
  await Promise.all([worker(), worker()]);
}

export interface RunningPrometheus {
  url: string;
  /** Persisted blocks Prometheus has loaded. */
  blocks(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on existing TSDB blocks (no scrape targets), once it answers `/-/ready`,
 * and waits until its first compaction round has merged the two-hour blocks, as a
 * long-running server's would be.
 */
export async function startPrometheusOnBlocks(tsdbDir: string, workDir: string): Promise<RunningPrometheus> {
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${tsdbDir}`,
      '--storage.tsdb.retention.time=3650d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child);
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  };
  try {
    await until(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, child, log);
    // The compactor runs a minute after start and merges blocks until nothing is left to merge.
    await until(async () => (await metric('prometheus_tsdb_compactions_triggered_total')) >= 1, 150_000, child, log);
    // Settled: the number of loaded blocks has not changed for three polls (nine seconds).
    let last = await metric('prometheus_tsdb_blocks_loaded');
    let steady = 0;
    await until(
      async () => {
        const now = await metric('prometheus_tsdb_blocks_loaded');
        steady = now === last ? steady + 1 : 0;
        last = now;
        return steady >= 3;
      },
      300_000,
      child,
      log,
      3_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, blocks: () => metric('prometheus_tsdb_blocks_loaded'), stop };
}

async function until(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  child: ChildProcess,
  log: string[],
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log.join('').slice(-2000)}`);
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`prometheus did not get there within ${timeoutMs} ms: ${log.join('').slice(-2000)}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
