import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/** `logs parse` on 1M and 10M HDFS-like lines beside the readline floor (and Drain3 when installed): bench/log-throughput.ts. */
export { benchLogParseThroughput } from './log-throughput.ts';
