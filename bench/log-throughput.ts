import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOGHUB_FORMATS } from '../src/analysis/logs/format.ts';
import { writeHdfsLikeLogs } from './support/hdfs-like.ts';

/**
 * `llmops logs parse` on HDFS-like logs of 1M and 10M lines, each command a whole process with its
 * CSV written to /dev/null, side by side in one run (rounds alternate the order) with:
 * - the readline floor: Node reading the file through `readline` and writing every line back, the
 *   reference issue 15 names when Drain3 is absent;
 * - a big-buffer floor: 1 MiB reads, lines cut with `indexOf`, written in 1 MiB batches;
 * - Drain3 (Python) mining the same content, when `python3 -c 'import drain3'` works.
 * Wall time (median of the rounds), CPU time, lines/s and peak RSS (`/usr/bin/time`, whole process
 * with its threads), and ratios of wall times: a reference's time over ours (above 1: ours is faster).
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HDFS_FORMAT = LOGHUB_FORMATS.HDFS as string;
const TIME = '/usr/bin/time';

interface Command {
  name: string;
  argv: string[];
  /** Reference commands are what ours is compared with. */
  reference?: boolean;
}

interface Run {
  seconds: number;
  /** User + system CPU seconds of the process and its threads (less moved by other load than wall time). */
  cpuSeconds: number | undefined;
  maxRssMiB: number | undefined;
}

const READLINE_FLOOR = `import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
let batch = '';
for await (const line of createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity })) {
  batch += line + '\\n';
  if (batch.length >= 65536) {
    if (!process.stdout.write(batch)) await once(process.stdout, 'drain');
    batch = '';
  }
}
process.stdout.write(batch);
`;

const BUFFER_FLOOR = `import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
const fd = openSync(process.argv[2], 'r');
const buffer = Buffer.allocUnsafe(1 << 20);
const decoder = new StringDecoder('utf8');
let carry = '';
let batch = '';
for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
  const text = carry + decoder.write(buffer.subarray(0, read));
  let from = 0;
  for (let end = text.indexOf('\\n'); end >= 0; end = text.indexOf('\\n', from)) {
    batch += text.slice(from, end) + '\\n';
    from = end + 1;
  }
  carry = text.slice(from);
  if (batch.length >= 1 << 20) {
    writeSync(1, batch);
    batch = '';
  }
}
writeSync(1, batch + (carry ? carry + '\\n' : ''));
closeSync(fd);
`;

/** Drain3 as its README runs it, with the masks of its example configuration, writing the same CSV. */
const DRAIN3 = `import csv, re, sys
from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig
config = TemplateMinerConfig()
config.profiling_enabled = False
for pattern, mask in [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\\-\\+]?\\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
]:
    config.masking_instructions.append(MaskingInstruction(pattern, mask))
miner = TemplateMiner(config=config)
line_format = re.compile(r"^(?P<Date>.*?)\\s+(?P<Time>.*?)\\s+(?P<Pid>.*?)\\s+(?P<Level>.*?)\\s+(?P<Component>.*?):\\s+(?P<Content>.*?)$")
ids = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        line = line.rstrip("\\r\\n")
        match = line_format.match(line.strip())
        ids.append(miner.add_log_message(match.group("Content") if match else line)["cluster_id"])
templates = {cluster.cluster_id: cluster.get_template() for cluster in miner.drain.clusters}
out = csv.writer(sys.stdout, lineterminator="\\n")
out.writerow(["LineId", "EventId", "EventTemplate"])
for number, cluster_id in enumerate(ids, 1):
    out.writerow([number, "E%d" % cluster_id, templates.get(cluster_id, "")])
`;

/** The HDFS sample the lines are drawn from: the shared Loghub 2k when present, else the in-repo tenth of it. */
function hdfsSample(): { lines: string[]; from: string } {
  const shared = process.env.LOGHUB_DIR
    ? join(process.env.LOGHUB_DIR, 'HDFS', 'HDFS_2k.log')
    : join(ROOT, '..', 'shared', 'data', 'loghub', 'HDFS', 'HDFS_2k.log');
  const file = existsSync(shared) ? shared : join(ROOT, 'test', 'fixtures', 'loghub', 'HDFS', 'HDFS_2k.log');
  return { lines: readFileSync(file, 'utf8').split('\n'), from: file };
}

/** `llmops` as the package runs it: the compiled build when there is one (brought up to date), else the sources through tsx. */
function llmopsCommand(): { argv: string[]; form: string } {
  const build = join(ROOT, 'scripts', 'build.mjs');
  if (existsSync(join(ROOT, 'dist')) && existsSync(build)) {
    const built = spawnSync(process.execPath, [build, '--if-stale'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status === 0 && existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js')))
      return { argv: [process.execPath, join(ROOT, 'bin', 'llmops.js')], form: 'compiled (dist/)' };
  }
  return {
    argv: [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')],
    form: 'sources through tsx (no dist/)',
  };
}

function drain3Present(): boolean {
  return spawnSync('python3', ['-c', 'import drain3'], { stdio: 'ignore' }).status === 0;
}

/** Runs one command to completion with stdout to /dev/null; its wall time and peak RSS. */
function runOnce(argv: string[], dir: string): Run {
  const timing = join(dir, 'time.txt');
  const withTime = existsSync(TIME);
  const devNull = openSync('/dev/null', 'w');
  try {
    const start = performance.now();
    const child = spawnSync(
      withTime ? TIME : (argv[0] as string),
      withTime ? ['-f', '%U %S %M', '-o', timing, ...argv] : argv.slice(1),
      {
        stdio: ['ignore', devNull, 'pipe'],
        maxBuffer: 64 << 20,
      },
    );
    const seconds = (performance.now() - start) / 1000;
    if (child.status !== 0)
      throw new Error(`${argv.join(' ')} failed (${child.status}): ${child.stderr.toString().slice(-2000)}`);
    // The last line: /usr/bin/time may write a note about the exit before it.
    const [user, system, maxRssKiB] = withTime
      ? (readFileSync(timing, 'utf8').trim().split('\n').pop() ?? '').split(/\s+/).map(Number)
      : [Number.NaN, Number.NaN, Number.NaN];
    const cpu = (user as number) + (system as number);
    return {
      seconds,
      cpuSeconds: Number.isFinite(cpu) ? cpu : undefined,
      maxRssMiB: Number.isFinite(maxRssKiB) ? (maxRssKiB as number) / 1024 : undefined,
    };
  } finally {
    closeSync(devNull);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Prints the table for 1M and 10M lines (or `sizes`), `rounds` runs of each command per size (10M: one). */
export async function benchLogParseThroughput(sizes = [1_000_000, 10_000_000], rounds = 3): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'llmops-bench-logs-'));
  try {
    const sample = hdfsSample();
    const files = sizes.map((lines) => ({ lines, file: join(dir, `hdfs-${lines}.log`) }));
    const generated = performance.now();
    writeHdfsLikeLogs(sample.lines, files);
    const generateSeconds = (performance.now() - generated) / 1000;
    await writeFile(join(dir, 'readline-floor.mjs'), READLINE_FLOOR);
    await writeFile(join(dir, 'buffer-floor.mjs'), BUFFER_FLOOR);
    await writeFile(join(dir, 'drain3-parse.py'), DRAIN3);
    const llmops = llmopsCommand();
    const withDrain3 = drain3Present();
    const cores = availableParallelism();
    console.log(
      `\nlogs parse throughput: HDFS-like lines drawn from ${sample.from} (generated in ${generateSeconds.toFixed(1)} s), ` +
        `CSV to /dev/null, whole processes; llmops ${llmops.form}; node ${process.version}, ${cores} cores, ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} at start${existsSync(TIME) ? '' : '; no /usr/bin/time, so no peak RSS'}`,
    );
    for (const { lines, file } of files) {
      const parse = (extra: string[]) => [...llmops.argv, 'logs', 'parse', file, '--format', HDFS_FORMAT, ...extra];
      const commands: Command[] = [
        {
          name: 'readline floor (read, split, write)',
          argv: [process.execPath, join(dir, 'readline-floor.mjs'), file],
          reference: true,
        },
        { name: 'big-buffer floor (1 MiB reads)', argv: [process.execPath, join(dir, 'buffer-floor.mjs'), file] },
        ...(withDrain3
          ? [{ name: 'Drain3 (Python)', argv: ['python3', join(dir, 'drain3-parse.py'), file], reference: true }]
          : []),
        { name: 'llmops logs parse --workers 0', argv: parse(['--workers', '0']) },
        { name: `llmops logs parse --workers ${cores}`, argv: parse(['--workers', String(cores)]) },
      ];
      const times = commands.map(() => [] as Run[]);
      const count = lines >= 5_000_000 ? 1 : rounds;
      for (let round = 0; round < count; round++)
        for (let k = 0; k < commands.length; k++) {
          // Each round starts with a different command, so drift in the machine's load is shared out.
          const index = (k + round) % commands.length;
          (times[index] as Run[]).push(runOnce((commands[index] as Command).argv, dir));
        }
      const seconds = times.map((runs) => median(runs.map((r) => r.seconds)));
      const best = times.map((runs) => Math.min(...runs.map((r) => r.seconds)));
      const cpu = times.map((runs) => median(runs.map((r) => r.cpuSeconds ?? Number.NaN)));
      const rss = times.map((runs) => Math.max(...runs.map((r) => r.maxRssMiB ?? Number.NaN)));
      const references = commands.flatMap((command, i) =>
        command.reference ? [{ name: command.name, seconds: seconds[i] as number }] : [],
      );
      const mib = statSync(file).size / 2 ** 20;
      console.log(
        `\n${lines.toLocaleString('en')} lines (${mib.toFixed(0)} MiB), median (and best) of ${count} run${count > 1 ? 's' : ''}; ratio = reference's median time / this median time`,
      );
      console.log(
        `${'command'.padEnd(40)} ${'seconds'.padStart(8)} ${'best'.padStart(6)} ${'CPU s'.padStart(7)} ${'lines/s'.padStart(12)} ${'peak RSS'.padStart(10)}  ${references.map((r) => `vs ${r.name.split(' (')[0]}`.padStart(18)).join(' ')}`,
      );
      commands.forEach((command, i) => {
        const s = seconds[i] as number;
        const memory = Number.isFinite(rss[i]) ? `${(rss[i] as number).toFixed(0)} MiB` : 'n/a';
        console.log(
          `${command.name.padEnd(40)} ${s.toFixed(2).padStart(8)} ${(best[i] as number).toFixed(2).padStart(6)} ${(Number.isFinite(cpu[i]) ? (cpu[i] as number).toFixed(2) : 'n/a').padStart(7)} ${Math.round(
            lines / s,
          )
            .toLocaleString('en')
            .padStart(
              12,
            )} ${memory.padStart(10)}  ${references.map((r) => `${(r.seconds / s).toFixed(2)}×`.padStart(18)).join(' ')}`,
        );
      });
      if (!withDrain3)
        console.log('Drain3 is not installed here (python3 -c "import drain3" fails): the readline floor is the reference.');
      console.log(
        `(without --workers, logs parse uses ${cores} workers when the 1-minute load average is at most ${cores - 1}, else one thread: defaultWorkers)`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
