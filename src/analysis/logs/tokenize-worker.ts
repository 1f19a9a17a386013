import { parentPort, workerData } from 'node:worker_threads';
import { TemplateMiner } from './drain.ts';
import { LineSplitter } from './lines.ts';
import { KeyTrie, type VariableTexts } from './message-keys.ts';
import type { TokenBatch, TokenizeJob, TokenizerSetup } from './parallel-parse.ts';
import { lineContent } from './parse.ts';

/**
 * A worker of `parseLogFileInParallel`: splits each batch of bytes it is sent into lines, finds
 * each line's content and tokens as `LogParser.push` would, and sends back per line the number of
 * its key in this worker's dictionary (the keys new to it go along, once) and its variable texts,
 * written as UTF-16 code units into one array (no string per line stays alive: that would cost more
 * in garbage collection than the tokenizing).
 */
const port = parentPort;
if (!port) throw new Error('tokenize-worker runs as a worker thread');
const setup = workerData as TokenizerSetup;
const tokenizer = new TemplateMiner(setup.options);
/** Keys by their parts; a key's number in this worker's dictionary is its node's `id` while `epoch` is current. */
const keyTrie = new KeyTrie();
let epoch = 1;
let known = 0;
/** The variable texts of the line at hand (reused). */
const variables: VariableTexts = { texts: [], count: 0 };
let keys = new Int32Array(1 << 14);
let ends = new Int32Array(1 << 14);
let chars = new Uint16Array(1 << 20);

port.on('message', (job: TokenizeJob) => {
  const restart = known >= setup.keysKept;
  if (restart) {
    epoch++;
    known = 0;
  }
  const newKeys: string[] = [];
  const unmatched: number[] = [];
  let lines = 0;
  let length = 0;
  const splitter = new LineSplitter((raw) => {
    const content = lineContent(setup.format, raw);
    if (content === undefined) unmatched.push(lines);
    const node = tokenizer.keyOf(content ?? raw.replace(/\r$/, ''), variables, keyTrie);
    if (node.epoch !== epoch) {
      node.epoch = epoch;
      node.id = known++;
      newKeys.push(node.prefix);
    }
    const id = node.id;
    if (lines === keys.length) {
      keys = grow(keys);
      ends = grow(ends);
    }
    keys[lines] = id;
    // The variable texts, `\n` between them (variableTexts), then `\r` before the next line's.
    if (lines > 0) length = put(13, length);
    for (let i = 0; i < variables.count; i++) {
      if (i > 0) length = put(10, length);
      const text = variables.texts[i] as string;
      if (length + text.length > chars.length) chars = growChars(chars, length + text.length);
      for (let c = 0; c < text.length; c++) chars[length + c] = text.charCodeAt(c);
      length += text.length;
    }
    ends[lines] = length;
    lines++;
  });
  splitter.write(Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength));
  splitter.end();
  const batch: TokenBatch = {
    seq: job.seq,
    lines,
    restart,
    newKeys,
    keys: keys.slice(0, lines),
    variables: chars.slice(0, length),
    ends: ends.slice(0, lines),
    unmatched,
  };
  port.postMessage(batch, [batch.keys.buffer, batch.variables.buffer, batch.ends.buffer]);
});

function put(code: number, at: number): number {
  if (at === chars.length) chars = growChars(chars, at + 1);
  chars[at] = code;
  return at + 1;
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

function growChars(array: Uint16Array<ArrayBuffer>, least: number): Uint16Array<ArrayBuffer> {
  const grown = new Uint16Array(Math.max(least, array.length * 2));
  grown.set(array);
  return grown;
}
