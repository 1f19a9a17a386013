import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupingAccuracy, parseCsv } from '../src/analysis/logs/accuracy.ts';
import { DEFAULT_MINER_PARAMETERS, type TemplateMinerOptions } from '../src/analysis/logs/drain.ts';
import { LOGHUB_FORMATS, parseLogFormat } from '../src/analysis/logs/format.ts';
import { parseLogStream } from '../src/analysis/logs/parse.ts';
import { dataSetRoot } from './support/data-sets.ts';

/** Drain's published grouping accuracy (Zhu et al., ICSE 2019), with per-dataset regexes. */
export const DRAIN_PUBLISHED_GA: Readonly<Record<string, number>> = {
  HDFS: 0.9975,
  Hadoop: 0.9475,
  Spark: 0.92,
  BGL: 0.9625,
  Linux: 0.69,
  OpenSSH: 0.7875,
  Proxifier: 0.5265,
  Apache: 1.0,
};

/** Loghub-2k: LOGHUB_DIR, else ../shared/data/loghub; a clear error when it is not there. */
export function loghubRoot(): string {
  return dataSetRoot('loghub', 'LOGHUB_DIR', join('HDFS', 'HDFS_2k.log'));
}

/** GA of our parser (default options unless given, no per-dataset regexes) on one Loghub-2k system. */
export async function loghubGroupingAccuracy(
  system: string,
  root = loghubRoot(),
  options: TemplateMinerOptions = {},
): Promise<{ ga: number; templates: number }> {
  const format = LOGHUB_FORMATS[system];
  if (!format) throw new Error(`unknown Loghub system ${system}`);
  const parsed = await parseLogStream(createReadStream(join(root, system, `${system}_2k.log`)), parseLogFormat(format), options);
  const rows = parseCsv(await readFile(join(root, system, `${system}_2k.log_structured_corrected.csv`), 'utf8'));
  const header = rows[0] ?? [];
  const column = header.indexOf('EventId');
  const truth = rows
    .slice(1)
    .filter((row) => row.length > 1)
    .map((row) => row[column] ?? '');
  return { ga: groupingAccuracy(Array.from(parsed.eventIds), truth), templates: parsed.templates.length };
}

export async function benchLoghub(): Promise<void> {
  console.log(
    `\nLoghub-2k grouping accuracy (Drain tree, token classes, merging of many-valued positions; the shipped default parameters: ${Object.entries(
      DEFAULT_MINER_PARAMETERS,
    )
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')})`,
  );
  console.log('system      ours    Drain   templates');
  let ours = 0;
  let drain = 0;
  for (const system of Object.keys(DRAIN_PUBLISHED_GA)) {
    const { ga, templates } = await loghubGroupingAccuracy(system);
    const published = DRAIN_PUBLISHED_GA[system] ?? 0;
    ours += ga;
    drain += published;
    console.log(
      `${system.padEnd(10)}  ${ga.toFixed(4)}  ${published.toFixed(4)}  ${String(templates).padStart(5)}${ga >= published ? '' : '  (below Drain)'}`,
    );
  }
  const n = Object.keys(DRAIN_PUBLISHED_GA).length;
  console.log(`${'average'.padEnd(10)}  ${(ours / n).toFixed(4)}  ${(drain / n).toFixed(4)}`);
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa', 'sigma', 'theta'];

/** A deterministic synthetic log line: ~20 templates with numbers, IPs, paths, ids, durations, words. */
function syntheticLine(i: number, next: () => number): string {
  const n = () => Math.floor(next() * 100000);
  const ip = () => `10.${n() % 256}.${n() % 256}.${n() % 256}`;
  const word = () => WORDS[n() % WORDS.length];
  const ts = `2024-05-01 12:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')},${String(i % 1000).padStart(3, '0')}`;
  const kind = Math.floor(next() * 20);
  let content: string;
  switch (kind) {
    case 0:
      content = `Accepted connection from ${ip()}:${n() % 65536} user=${word()}`;
      break;
    case 1:
      content = `Request GET /api/v1/models/${word()}/infer completed in ${n() % 900}ms status=200`;
      break;
    case 2:
      content = `Block blk_${n()}${n()} replicated to ${ip()}:50010 size ${n()} bytes`;
      break;
    case 3:
      content = `Worker ${n() % 64} finished batch ${n()} tokens=${n()} latency=${(next() * 3).toFixed(3)}s`;
      break;
    case 4:
      content = `GPU ${n() % 8} memory usage ${n() % 100}% temperature ${n() % 90} C`;
      break;
    case 5:
      content = `Session ${crypto.randomUUID()} opened for user ${word()} by (uid=${n() % 1000})`;
      break;
    case 6:
      content = `Failed password for invalid user ${word()} from ${ip()} port ${n() % 65536} ssh2`;
      break;
    case 7:
      content = `Cache miss for key 0x${n().toString(16)}${n().toString(16)} in shard ${n() % 16}`;
      break;
    case 8:
      content = `Loaded checkpoint /mnt/models/${word()}/step-${n()}.safetensors in ${(next() * 20).toFixed(1)} s`;
      break;
    case 9:
      content = `Health check ok for pod ${word()}-${n().toString(36)} in namespace serving`;
      break;
    case 10:
      content = `Connection reset by peer ${ip()} after ${n()} requests`;
      break;
    case 11:
      content = `Scheduled job ${n()} on node node-${n() % 128} with priority ${n() % 10}`;
      break;
    case 12:
      content = `Token bucket refilled: ${n() % 1000} tokens available, rate ${n() % 100}/s`;
      break;
    case 13:
      content = `Evicted ${n() % 500} entries from KV cache (${(next() * 100).toFixed(1)}% full)`;
      break;
    case 14:
      content = `WARN slow query took ${n()}ms table=${word()} rows=${n()}`;
      break;
    case 15:
      content = `Retrying upload of ${word()} attempt ${n() % 5} of 5 backoff ${n() % 30}s`;
      break;
    case 16:
      content = `Received signal SIGTERM, shutting down ${word()} gracefully`;
      break;
    case 17:
      content = `Config reloaded from /etc/llmops/${word()}.yaml version ${n()}`;
      break;
    case 18:
      content = `Queue depth ${n() % 1000} exceeds threshold ${n() % 100} for model ${word()}`;
      break;
    default:
      content = `Heartbeat from ${ip()} seq=${n()} rtt=${(next() * 50).toFixed(2)}ms`;
  }
  return `${ts} INFO [main] app.Component: ${content}`;
}

/** Parses a synthetic 1,000,000-line log written to a temp file; prints lines/s and peak RSS. */
export async function benchLogParseThroughput(lineCount = 1_000_000): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'llmops-bench-logs-'));
  try {
    let seed = 42;
    const next = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const file = join(dir, 'synthetic.log');
    await writeFile(file, '');
    for (let i = 0; i < lineCount; ) {
      let chunk = '';
      for (const end = Math.min(lineCount, i + 10_000); i < end; i++) chunk += `${syntheticLine(i, next)}\n`;
      await appendFile(file, chunk);
    }
    const format = parseLogFormat('<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>');
    const start = performance.now();
    const parsed = await parseLogStream(createReadStream(file), format);
    const seconds = (performance.now() - start) / 1000;
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    console.log(
      `\nlogs parse: ${parsed.lines.toLocaleString('en')} lines in ${seconds.toFixed(2)} s = ` +
        `${Math.round(parsed.lines / seconds).toLocaleString('en')} lines/s, ${parsed.templates.length} templates, ` +
        `${parsed.unmatched} unmatched, peak RSS ${maxRssMiB.toFixed(0)} MiB (whole process)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
