import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from '../src/analysis/logs/accuracy.ts';
import { TemplateMiner, type TemplateMinerOptions } from '../src/analysis/logs/drain.ts';
import { formatContent, LOGHUB_FORMATS, parseLogFormat } from '../src/analysis/logs/format.ts';
import { LineSplitter } from '../src/analysis/logs/lines.ts';
import { KEY_TRIE_DEPTH, KeyTrie, messageKey, quickKeyNode, variableTexts } from '../src/analysis/logs/message-keys.ts';
import { defaultWorkers, parseLogFileInParallel } from '../src/analysis/logs/parallel-parse.ts';
import { LogParser, type ParsedLog, parseLogFile } from '../src/analysis/logs/parse.ts';
import { quickShape, readsAsWord, shapeOf, tokenizeMessage, unitOf } from '../src/analysis/logs/tokens.ts';
import { runLogsCommand } from '../src/cli/logs-command.ts';

/**
 * `llmops logs parse` takes shortcuts for speed (issue 15): lines cut from large chunks without
 * readline, the format's content found without the whole pattern, plain words shaped without the
 * full classifier, and lines of a known shape sent where the last one went. Each shortcut is held
 * here to the path it stands for, on the Loghub sample and on inputs made to hit its edges.
 */
const LOGHUB = fileURLToPath(new URL('./fixtures/loghub/', import.meta.url));
const SYSTEMS = Object.keys(LOGHUB_FORMATS);

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const samples = new Map<string, string[]>();
beforeAll(async () => {
  for (const system of SYSTEMS)
    samples.set(system, (await readFile(join(LOGHUB, system, `${system}_2k.log`), 'utf8')).split('\n').filter(Boolean));
});

describe('lines from chunks', () => {
  it('are the lines readline gives, for any chunking of CR, LF, CRLF, multi-byte and broken UTF-8', async () => {
    const pieces = ['a', 'b c', '\n', '\r', '\r\n', 'é', '€', '😀', ' ', '\u2028'].map((p) => Buffer.from(p));
    pieces.push(Buffer.from([0xff]), Buffer.from([0xe2, 0x82]));
    const next = random(7);
    for (let round = 0; round < 400; round++) {
      const bytes = Buffer.concat(
        Array.from({ length: Math.floor(next() * 40) }, () => pieces[Math.floor(next() * pieces.length)] as Buffer),
      );
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(next() * 6);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const expected: string[] = [];
      for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Number.POSITIVE_INFINITY }))
        expected.push(line);
      const got: string[] = [];
      const splitter = new LineSplitter((line) => got.push(line));
      for (const chunk of chunks) splitter.write(chunk);
      splitter.end();
      expect(got, JSON.stringify(bytes.toString('latin1'))).toEqual(expected);
    }
  });
});

describe("the format's content", () => {
  it('is what the whole named-group pattern captures, on every sample line and on edge lines', () => {
    const edges = [
      '',
      '   ',
      'x',
      '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating',
      '081109 203615 148 INFO dfs.DataNode: a\u2028b: c',
      '081109\u2028203615 148 INFO x: y',
      '  081109   203615 148 INFO x:   spaced   content  ',
      '081109 203615 148 INFO x:',
      '[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child',
      '[Sun Dec 04] [error]',
    ];
    const formats = [
      ...Object.values(LOGHUB_FORMATS),
      '<Content>',
      '<Level> <Content> end',
      '<A> \\1 <Content>',
      '(a)?<A> \\2 <Content>',
    ];
    // Each format on its own system's lines (on others' lines a long format backtracks for long) and the edges.
    for (const source of formats) {
      const format = parseLogFormat(source);
      const system = SYSTEMS.find((name) => LOGHUB_FORMATS[name] === source) ?? 'HDFS';
      const lines = [...(samples.get(system) ?? []), ...edges].map((line) => line.trim());
      const differ = lines.filter((line) => formatContent(format, line) !== format.regex.exec(line)?.groups?.Content);
      expect(differ, source).toEqual([]);
    }
  });
});

describe('word shapes', () => {
  const words = () => {
    const all = new Set(SYSTEMS.flatMap((system) => (samples.get(system) ?? []).join(' ').split(/\s+/)));
    for (const word of ['/', '/,', '/a', '1', '1.', '1..2', 'a:1', '1:a', '/x(', '(1)', 'x=1', '~1', '/a/b=c', 'depth.....0'])
      all.add(word);
    for (const word of [
      '12:34:56,',
      '3.5%',
      'µs',
      '%',
      '%)',
      'KB),',
      'ms.',
      'ab1',
      'a-b2',
      'é1',
      '1é',
      '/é',
      ':1',
      '1:',
      'C:\\x1',
      'a::1',
      'x:/1',
    ])
      all.add(word);
    all.delete('');
    return [...all];
  };

  it('taken by the quick rules are the ones the full classifier gives, for every tokenizer setting', () => {
    let quick = 0;
    const differ: string[] = [];
    for (const word of words()) {
      const shape = quickShape(word);
      if (shape === '\u0000') continue;
      quick++;
      for (const setting of [0, 1, 2, 3, 4, 5, 6, 7])
        if (shape !== shapeOf(word, (setting & 1) !== 0, (setting & 2) !== 0, (setting & 4) !== 0)) differ.push(word);
    }
    expect(differ).toEqual([]);
    // The rules must carry most words with digits, or they buy nothing.
    expect(quick).toBeGreaterThan(2000);
  });

  it('units and names with a digit are read as the regexes they replace read them', () => {
    const units = new Set(
      'B b KB kB MB GB TB PB KiB MiB GiB TiB bytes byte ms s sec secs second seconds us µs ns min mins minute minutes h hr hrs hour hours d days % kb mb gb'.split(
        ' ',
      ),
    );
    const differ = words().filter((word) => {
      const unit = /^([^\W\d_]+|%)(\W*)$/u.exec(word);
      return (
        unitOf(word) !== (unit && units.has(unit[1] as string) ? unit[2] : undefined) ||
        readsAsWord(word) !== /^[A-Za-z][A-Za-z_-]*[A-Za-z]\d$/.test(word)
      );
    });
    expect(differ).toEqual([]);
    expect(unitOf('KB),')).toBe('),');
  });
});

describe('message keys', () => {
  it('found word by word are the keys and variable texts of the full tokens, for every tokenizer setting', () => {
    const messages = [
      ...SYSTEMS.flatMap((system) => {
        const format = parseLogFormat(LOGHUB_FORMATS[system] as string);
        return (samples.get(system) ?? []).flatMap((line) => [
          formatContent(format, line.trim()) ?? line,
          line.replace(/\r$/, ''),
        ]);
      }),
      '',
      ' ',
      'delete blk_1 blk_2 blk_3',
      '1 2 3',
      'x 1 2 y 3 4 ssh2 5',
      'sent 5 MB',
      'took 12 ms.',
      'a\tb  c',
      '<*> x 1',
    ];
    // Small tries (one per setting, as a miner has), so that they also start anew on the way.
    const tries = Array.from({ length: 16 }, () => new KeyTrie(64));
    const variables = { texts: [] as string[], count: 0 };
    let quick = 0;
    const differ: string[] = [];
    for (const message of messages)
      for (let setting = 0; setting < 16; setting++) {
        const options = {
          attachedColonValues: (setting & 1) !== 0,
          dottedNames: (setting & 2) !== 0,
          quotedValues: (setting & 4) !== 0,
          collapseRuns: (setting & 8) !== 0,
        };
        const node = quickKeyNode(message, options, variables, tries[setting] as KeyTrie);
        if (node === undefined) continue;
        quick++;
        const tokens = tokenizeMessage(message, options);
        if (node.prefix !== messageKey(tokens) || variables.texts.slice(0, variables.count).join('\n') !== variableTexts(tokens))
          differ.push(`${setting} ${message}`);
      }
    expect(differ).toEqual([]);
    // Quotes, tabs and numbers with units take the full path; most lines do not.
    expect(quick).toBeGreaterThan(messages.length * 16 * 0.8);
    // So does a message too long for a trie path (each node holds its key so far).
    expect(quickKeyNode('word 42 '.repeat(KEY_TRIE_DEPTH), {}, variables, new KeyTrie())).toBeUndefined();
    expect(quickKeyNode('word 42 '.repeat(KEY_TRIE_DEPTH / 2), {}, variables, new KeyTrie())?.prefix).toBe(
      messageKey(tokenizeMessage('word 42 '.repeat(KEY_TRIE_DEPTH / 2))),
    );
  });
});

describe('remembered outcomes', () => {
  const settings: TemplateMinerOptions[] = [
    {},
    { maxClusters: 3 },
    { maxClusters: 17, mergeDistinct: 2 },
    { similarity: 0.7, depth: 5, maxClusters: 60 },
    { mergeDistinct: 0, quotedValues: true, collapseRuns: false },
    { digitTokensAreParams: false, maxClusters: 30 },
    { extraMasks: ['\\d+\\.\\d+', 'user'] },
  ];

  /** Everything the miner tells about the lines, in order. */
  function run(lines: readonly string[], options: TemplateMinerOptions): string {
    const evicted: string[] = [];
    const miner = new TemplateMiner({ ...options, onEvict: (c) => evicted.push(`${c.id} ${c.count} ${c.template}`) });
    const added = lines.map((line) => miner.add(line));
    const final = added.map((a) => [miner.resolve(a.clusterId), miner.template(a.clusterId)]);
    return JSON.stringify({ added, evicted, templates: miner.templates(), final });
  }

  it('give what comparing every line in full gives, on each sample and on all of them mixed', () => {
    const systems = [
      ...SYSTEMS.map((system) => samples.get(system) ?? []),
      SYSTEMS.flatMap((system) => samples.get(system) ?? []),
    ];
    for (const lines of systems)
      for (const options of settings)
        expect(run(lines, options) === run(lines, { ...options, rememberOutcomes: false }), JSON.stringify(options)).toBe(true);
  });

  it('give the same clusters through assign (keys found word by word), on each sample and on all of them mixed', () => {
    const ids = (lines: readonly string[], options: TemplateMinerOptions) => {
      const miner = new TemplateMiner(options);
      const assigned = lines.map((line) => miner.assign(line.replace(/\r$/, '')));
      return JSON.stringify([assigned, assigned.map((id) => miner.template(id)), miner.templates()]);
    };
    const systems = [
      ...SYSTEMS.map((system) => samples.get(system) ?? []),
      SYSTEMS.flatMap((system) => samples.get(system) ?? []),
    ];
    for (const lines of systems)
      for (const options of settings)
        expect(ids(lines, options) === ids(lines, { ...options, rememberOutcomes: false }), JSON.stringify(options)).toBe(true);
  });

  it('are not used where the line differs in a variable that a cluster still holds as written', () => {
    const miner = new TemplateMiner();
    const first = miner.add('size 67108864 for blk_1');
    // Same keys (`size <*> for <*>`); the cluster still holds 67108864 as written, so this one widens it.
    expect(miner.add('size 67108864 for blk_2')).toMatchObject({ clusterId: first.clusterId, changed: true });
    expect(miner.add('size 67108864 for blk_3')).toMatchObject({ clusterId: first.clusterId, changed: false });
    expect(miner.add('size 42 for blk_4')).toMatchObject({
      clusterId: first.clusterId,
      changed: true,
      template: 'size <*> for <*>',
    });
  });
});

describe('llmops logs parse', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmops-fast-path-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The reference path: readline over a read stream, every line compared in full, rows built one by one. */
  async function referenceCsv(file: string, format: string, options: TemplateMinerOptions = {}): Promise<string> {
    const parser = new LogParser(parseLogFormat(format), { ...options, rememberOutcomes: false });
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }))
      parser.push(line);
    const { eventIds, templates } = parser.finish();
    return `LineId,EventId,EventTemplate\n${Array.from(eventIds, (event, i) => `${i + 1},E${event},${csvField(templates[event - 1] as string)}\n`).join('')}`;
  }

  async function parse(args: string[]): Promise<string> {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => {
      out += d;
    });
    await runLogsCommand(['parse', ...args], { stdin: new PassThrough(), stdout, stderr: new PassThrough() });
    return out;
  }

  it.each(SYSTEMS)('%s: writes the CSV of the reference path, byte for byte', async (system) => {
    const file = join(LOGHUB, system, `${system}_2k.log`);
    const format = LOGHUB_FORMATS[system] as string;
    expect(await parse([file, '--format', format])).toBe(await referenceCsv(file, format));
    expect(await parse([file, '--format', format, '--merge-distinct', '0', '--similarity', '0.7'])).toBe(
      await referenceCsv(file, format, { mergeDistinct: 0, similarity: 0.7 }),
    );
  });

  /** Every sample mixed, lines ended by LF, CRLF or a lone CR at random, the last one by nothing. */
  async function mixedFile(): Promise<string> {
    const lines = SYSTEMS.flatMap((system) => samples.get(system) ?? []);
    const next = random(3);
    const text = lines.map((line) => line + ['\n', '\r\n', '\r'][Math.floor(next() * 3)]).join('');
    const file = join(dir, 'mixed.log');
    await writeFile(file, text.slice(0, -1));
    return file;
  }

  it('writes the reference CSV for a file of every sample mixed, with CRLF, lone CR and no final break', async () => {
    const file = await mixedFile();
    const format = LOGHUB_FORMATS.HDFS as string;
    expect(await parse([file, '--format', format])).toBe(await referenceCsv(file, format));
  });

  it('--workers takes 0 (one thread) up to 64, and says so when the value is not one of those', async () => {
    const file = join(LOGHUB, 'HDFS', 'HDFS_2k.log');
    const format = LOGHUB_FORMATS.HDFS as string;
    expect(await parse([file, '--format', format, '--workers', '0'])).toBe(await referenceCsv(file, format));
    for (const bad of ['-1', '1.5', 'two', '65'])
      await expect(parse([file, '--format', format, `--workers=${bad}`])).rejects.toMatchObject({
        code: 'logs_usage',
        message: expect.stringMatching(/--workers must be a whole number from 0 .* to 64/),
      });
  });

  describe('with worker threads', () => {
    /** What a parse tells about the lines, for comparing two paths. */
    const summary = ({ lines, unmatched, eventIds, templates }: ParsedLog) =>
      JSON.stringify({ lines, unmatched, templates, eventIds: Array.from(eventIds) });

    it('keep the order, the breaks and the unmatched count across batches, with dictionaries started anew', async () => {
      const file = await mixedFile();
      // The HDFS format matches only the HDFS lines: the others are unmatched and parsed whole.
      const format = parseLogFormat(LOGHUB_FORMATS.HDFS as string);
      const reference = parseLogFile(file, format, { maxClusters: 40, rememberOutcomes: false });
      expect(reference.unmatched).toBeGreaterThan(1000);
      // Starting workers from the sources takes a while (tsx): few runs, each with many batches.
      for (const [workers, batchBytes] of [
        [1, 100],
        [3, 700],
      ] as const) {
        const parallel = await parseLogFileInParallel(
          file,
          format,
          { maxClusters: 40 },
          { workers, batchBytes, minBytes: 0, keysKept: 16 },
        );
        expect(parallel.workers).toBe(workers);
        expect(summary(parallel), `${workers} workers, ${batchBytes} bytes`).toBe(summary(reference));
      }
    });

    it('carry variables in any script, and those a cluster still holds as written, to the tree', async () => {
      const file = join(dir, 'unicode.log');
      const lines: string[] = [];
      for (let i = 0; i < 300; i++) {
        lines.push(`服务 listening on port 8080 for 用户${i % 7} 😀${i}`);
        lines.push(`size ${i < 150 ? 67108864 : i} for blk_${i} ✓`);
        if (i % 50 === 49) lines.push(`服务 listening on port 9090 for 用户x 😀${i}`);
      }
      await writeFile(file, `${lines.join('\n')}\n`);
      const parallel = await parseLogFileInParallel(file, undefined, {}, { workers: 2, batchBytes: 300, minBytes: 0 });
      expect(summary(parallel)).toBe(summary(parseLogFile(file, undefined, { rememberOutcomes: false })));
      expect(parallel.templates).toContain('size <*> for <*> ✓');
    });

    it('are one per core by default while a core is free, else none', () => {
      expect(defaultWorkers(2, 0.3)).toBe(2);
      expect(defaultWorkers(2, 1)).toBe(2);
      expect(defaultWorkers(2, 1.4)).toBe(0);
      expect(defaultWorkers(8, 5)).toBe(8);
      expect(defaultWorkers(1, 0)).toBe(0);
    });

    it('read a line longer than a batch, a file whose end has no LF, and an empty file', async () => {
      const long = join(dir, 'long.log');
      await writeFile(long, `short 1\n${'word 42 '.repeat(2000)}\nshort 2\na 1\rb 2\r\nc 3\rd 4`);
      const empty = join(dir, 'empty.log');
      await writeFile(empty, '');
      for (const file of [long, empty]) {
        const parallel = await parseLogFileInParallel(file, undefined, {}, { workers: 2, batchBytes: 64, minBytes: 0 });
        expect(parallel.workers).toBe(2);
        expect(summary(parallel), file).toBe(summary(parseLogFile(file, undefined)));
      }
    });
  });
});
