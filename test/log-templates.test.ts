import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DRAIN_PUBLISHED_GA, loghubGroupingAccuracy } from '../bench/loghub.ts';
import {
  compareWindows,
  extractContent,
  groupingAccuracy,
  LOGHUB_FORMATS,
  maskContent,
  parseCsv,
  parseLogFormat,
  TemplateMiner,
} from '../src/analysis/logs/index.ts';
import { runLogsCommand } from '../src/cli/logs-command.ts';
import { AppError } from '../src/errors.ts';

// Every tenth line of each Loghub-2k system with its ground truth (bench/make-loghub-fixture.ts); the full sets are benched.
const LOGHUB = fileURLToPath(new URL('./fixtures/loghub/', import.meta.url));
/** Grouping accuracy on that sample with the shipped defaults when the sample was made: a floor, not a target. */
const SAMPLE_GA: Record<string, number> = {
  HDFS: 1,
  Hadoop: 1,
  Spark: 1,
  BGL: 1,
  Linux: 0.78,
  OpenSSH: 1,
  Proxifier: 1,
  Apache: 1,
};

describe('masking', () => {
  it.each([
    ['took 12ms and 3.5 s', 'took <*> and <*>'],
    ['from 10.0.0.1:8080 to 192.168.1.20', 'from <*> to <*>'],
    ['addr 0xdeadBEEF hash 5f4dcc3b5aa765d61d8327deb882cf99', 'addr <*> hash <*>'],
    ['req 123e4567-e89b-12d3-a456-426614174000 done', 'req <*> done'],
    ['opened /var/log/app/server.log ok', 'opened <*> ok'],
    ['uid=0 euid=0 user=root logname=', 'uid=<*> euid=<*> user=<*> logname='],
    ['count 42 of -7 at 18:01:47', 'count <*> of <*> at <*>'],
    ['proxy.cse.cuhk.edu.hk:5070 open', '<*> open'],
    ['sent 451 bytes (18.4 KB)', 'sent <*>'],
    ['version ssh2 and job_12', 'version <*> and <*>'],
    ['user=root, tag="View Lock", ruser=', 'user=<*>, tag=<*>, ruser='],
    ['Fri Jul 22 09:27:24 2005 at depth.....0', '<*> at depth.....<*>'],
  ])('%s', (input, expected) => {
    expect(maskContent(input)).toBe(expected);
  });
});

describe('TemplateMiner', () => {
  it('groups lines into templates with <*> parameters, a word position once it takes several values', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Invalid user admin from 1.2.3.4');
    const b = miner.add('Invalid user oracle from 5.6.7.8');
    const c = miner.add('Connection closed by 1.2.3.4 [preauth]');
    const d = miner.add('Invalid user guest from 9.8.7.6');
    const e = miner.add('Invalid user admin from 4.4.4.4');
    expect(a.isNew).toBe(true);
    expect(e).toMatchObject({ clusterId: a.clusterId, isNew: false, template: 'Invalid user admin from <*>' });
    expect(c.clusterId).not.toBe(a.clusterId);
    // Three user names: the position is a parameter, and the three clusters are one.
    expect(miner.templates()).toEqual([
      { id: a.clusterId, template: 'Invalid user <*> from <*>', count: 4 },
      { id: c.clusterId, template: 'Connection closed by <*> [preauth]', count: 1 },
    ]);
    expect([b.clusterId, d.clusterId].map((id) => miner.resolve(id))).toEqual([a.clusterId, a.clusterId]);
    expect(miner.template(b.clusterId)).toBe('Invalid user <*> from <*>');
    // Once merged, a new user name joins the template directly.
    expect(miner.match('Invalid user bob from 9.9.9.9')?.id).toBe(a.clusterId);
    expect(miner.add('Invalid user bob from 9.9.9.9')).toMatchObject({ clusterId: a.clusterId, isNew: false });
  });

  it('treats tokens with digits as parameters and keeps memory bounded by LRU eviction', () => {
    const evicted: number[] = [];
    const miner = new TemplateMiner({ maxClusters: 2, onEvict: (c) => evicted.push(c.id) });
    expect(miner.add('PacketResponder 1 for block blk_-123 terminating').template).toBe(
      'PacketResponder <*> for block <*> terminating',
    );
    const b = miner.add('alpha beta gamma');
    miner.add('PacketResponder 2 for block blk_456 terminating'); // touches cluster 1
    miner.add('one two');
    expect(miner.size).toBe(2);
    expect(evicted).toEqual([b.clusterId]);
  });
});

describe('compareWindows', () => {
  it('finds new and spiking templates deterministically', () => {
    const baseline = [
      ...Array.from({ length: 50 }, (_, i) => `request ${i} served in ${i}ms`),
      ...Array.from({ length: 2 }, (_, i) => `cache miss for key k${i}`),
    ];
    const current = [
      ...Array.from({ length: 20 }, (_, i) => `request ${i} served in ${i}ms`),
      ...Array.from({ length: 10 }, (_, i) => `cache miss for key k${i}`),
      ...Array.from({ length: 6 }, (_, i) => `OOM killed worker ${i}`),
    ];
    const result = compareWindows(baseline, current);
    expect(result.top.map((t) => [t.template, t.current])).toEqual([
      ['request <*> served in <*>', 20],
      ['cache miss for key <*>', 10],
      ['OOM killed worker <*>', 6],
    ]);
    expect(result.new.map((t) => t.template)).toEqual(['OOM killed worker <*>']);
    expect(result.spiking.map((t) => t.template)).toEqual(['cache miss for key <*>']);
    expect(result.spiking[0]?.ratio).toBeGreaterThanOrEqual(3);
    expect(compareWindows(baseline, current)).toEqual(result);
  });
});

describe('Loghub formats', () => {
  it.each(Object.entries(LOGHUB_FORMATS))('%s parses its first line', async (system, format) => {
    const text = await readFile(join(LOGHUB, system, `${system}_2k.log`), 'utf8');
    const firstLine = text.split('\n')[0] ?? '';
    const rows = parseCsv(await readFile(join(LOGHUB, system, `${system}_2k.log_structured_corrected.csv`), 'utf8'));
    const contentColumn = rows[0]?.indexOf('Content') ?? -1;
    const parsed = parseLogFormat(format);
    expect(parsed.headers).toContain('Content');
    expect(extractContent(parsed, firstLine)).toBe(rows[1]?.[contentColumn]);
  });

  it('builds the Loghub regex and rejects bad formats', () => {
    expect(parseLogFormat('<Date> <Time> <Level> <Content>').regex.source).toBe(
      '^(?<Date>.*?)\\s+(?<Time>.*?)\\s+(?<Level>.*?)\\s+(?<Content>.*?)$',
    );
    expect(() => parseLogFormat('<Date> <Time>')).toThrow(AppError);
    expect(() => parseLogFormat('')).toThrow(/empty/);
    expect(() => parseLogFormat('<a b> <Content>')).toThrow(/not a valid name/);
  });
});

describe('grouping accuracy', () => {
  it('counts a line correct only when its groups match exactly', () => {
    expect(groupingAccuracy(['a', 'a', 'b', 'c'], [1, 1, 2, 2])).toBe(0.5);
    expect(groupingAccuracy(['x', 'y'], ['p', 'q'])).toBe(1);
  });

  it.each(Object.keys(SAMPLE_GA))('%s: the Loghub sample is grouped as well as when it was made', async (system) => {
    const { ga } = await loghubGroupingAccuracy(system, LOGHUB);
    expect(ga).toBeGreaterThanOrEqual(SAMPLE_GA[system] ?? 1);
  });
});

describe('llmops logs parse', () => {
  const run = async (args: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => {
      out += d;
    });
    stderr.on('data', (d) => {
      err += d;
    });
    const code = await runLogsCommand(args, { stdin: new PassThrough(), stdout, stderr });
    return { code, out, err };
  };

  it('writes LineId,EventId,EventTemplate for every line, quoting as needed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmops-logs-test-'));
    try {
      const file = join(dir, 'app.log');
      await writeFile(
        file,
        [
          '[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10',
          '[Sun Dec 04 04:47:45 2005] [error] mod_jk child workerEnv in error state 6',
          '[Sun Dec 04 04:47:46 2005] [notice] jk2_init() Found child 6726 in scoreboard slot 8',
          'garbage line, with "quotes"',
          '',
        ].join('\r\n'),
      );
      const { code, out, err } = await run(['parse', file, '--format', '\\[<Time>\\] \\[<Level>\\] <Content>']);
      expect(code).toBe(0);
      expect(out).toBe(
        [
          'LineId,EventId,EventTemplate',
          '1,E1,<*> Found child <*> in scoreboard slot <*>',
          '2,E2,mod_jk child workerEnv in error state <*>',
          '3,E1,<*> Found child <*> in scoreboard slot <*>',
          '4,E3,"garbage line, with ""quotes"""',
          '',
        ].join('\n'),
      );
      expect(err).toMatch(/1 lines did not match/);
      const masked = await run(['parse', file, '--format', '\\[<Time>\\] \\[<Level>\\] <Content>', '--mask', 'workerEnv']);
      expect(masked.out).toContain('2,E2,mod_jk child <*> in error state <*>');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--merge-distinct sets how many values make a word position a parameter; --similarity and --depth are checked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmops-logs-test-'));
    try {
      const file = join(dir, 'app.log');
      await writeFile(file, ['login ok for alice', 'login ok for bob', 'login ok for carol', ''].join('\n'));
      const byDefault = await run(['parse', file, '--format', '<Content>']);
      expect(byDefault.out).toBe(
        'LineId,EventId,EventTemplate\n1,E1,login ok for <*>\n2,E1,login ok for <*>\n3,E1,login ok for <*>\n',
      );
      const never = await run(['parse', file, '--format', '<Content>', '--merge-distinct', '0']);
      expect(never.out).toBe(
        'LineId,EventId,EventTemplate\n1,E1,login ok for alice\n2,E2,login ok for bob\n3,E3,login ok for carol\n',
      );
      const drainLike = await run(['parse', file, '--format', '<Content>', '--merge-distinct', '0', '--similarity', '0.7']);
      expect(drainLike.out).toContain('3,E1,login ok for <*>');
      await expect(run(['parse', file, '--format', '<Content>', '--merge-distinct', '1'])).rejects.toThrow(
        /--merge-distinct must be 0 \(never merge\) or an integer ≥ 2/,
      );
      await expect(run(['parse', file, '--format', '<Content>', '--similarity', '2'])).rejects.toThrow(/\[0, 1\]/);
      await expect(run(['parse', file, '--format', '<Content>', '--depth', '2'])).rejects.toThrow(/integer ≥ 3/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with AppErrors on a missing format or file', async () => {
    await expect(run(['parse', '/nonexistent.log', '--format', '<Content>'])).rejects.toMatchObject({ code: 'log_file_missing' });
    await expect(run(['parse', '/nonexistent.log'])).rejects.toMatchObject({ code: 'log_format_missing' });
    await expect(run(['parse', '/nonexistent.log', '--format', '<Date>'])).rejects.toMatchObject({ code: 'log_format_invalid' });
    await expect(run(['parse', '/x', '--format', '<Content>', '--mask', '('])).rejects.toMatchObject({
      code: 'log_mask_invalid',
    });
    await expect(run(['frobnicate'])).rejects.toMatchObject({ code: 'logs_usage' });
  });
});

describe('llmops logs parse on Loghub', () => {
  it('Proxifier with the default parameters beats Drain (SOCKS5 and HTTPS stay apart, host:port and sizes are values)', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => {
      out += d;
    });
    const code = await runLogsCommand(
      ['parse', join(LOGHUB, 'Proxifier', 'Proxifier_2k.log'), '--format', LOGHUB_FORMATS.Proxifier as string],
      { stdin: new PassThrough(), stdout, stderr: new PassThrough() },
    );
    expect(code).toBe(0);
    const rows = parseCsv(out)
      .slice(1)
      .filter((row) => row.length > 1);
    const truthRows = parseCsv(await readFile(join(LOGHUB, 'Proxifier', 'Proxifier_2k.log_structured_corrected.csv'), 'utf8'));
    const column = (truthRows[0] ?? []).indexOf('EventId');
    const truth = truthRows
      .slice(1)
      .filter((row) => row.length > 1)
      .map((row) => row[column] ?? '');
    expect(rows).toHaveLength(200);
    expect(
      groupingAccuracy(
        rows.map((row) => row[1] ?? ''),
        truth,
      ),
    ).toBeGreaterThan(DRAIN_PUBLISHED_GA.Proxifier ?? 1);
    const templates = new Set(rows.map((row) => row[2]));
    expect(templates).toContain('<*> open through proxy <*> HTTPS');
    expect(templates).toContain('<*> open through proxy <*> SOCKS5');
    expect(templates).toContain('<*> close, <*> sent, <*> received, lifetime <*>');
  });
});
