import { parentPort, workerData } from 'node:worker_threads';
import { messageKey, TemplateMiner, variableTexts } from './drain.ts';
import { LineSplitter } from './lines.ts';
import type { TokenBatch, TokenizeJob, TokenizerSetup } from './parallel-parse.ts';
import { lineContent } from './parse.ts';

/**
 * A worker of `parseLogFileInParallel`: splits each batch of bytes it is sent into lines, finds
 * each line's content and tokens as `LogParser.push` would, and sends back per line the number of
 * its key in this worker's dictionary (the keys new to it go along, once) and its variable texts.
 */
const port = parentPort;
if (!port) throw new Error('tokenize-worker runs as a worker thread');
const setup = workerData as TokenizerSetup;
const tokenizer = new TemplateMiner(setup.options);
const dictionary = new Map<string, number>();
let keys = new Int32Array(1 << 14);
let ends = new Int32Array(1 << 14);

port.on('message', (job: TokenizeJob) => {
  const restart = dictionary.size >= setup.keysKept;
  if (restart) dictionary.clear();
  const newKeys: string[] = [];
  const variables: string[] = [];
  const unmatched: number[] = [];
  let lines = 0;
  let length = 0;
  const splitter = new LineSplitter((raw) => {
    const content = lineContent(setup.format, raw);
    if (content === undefined) unmatched.push(lines);
    const tokens = tokenizer.tokenize(content ?? raw.replace(/\r$/, ''));
    const key = messageKey(tokens);
    let id = dictionary.get(key);
    if (id === undefined) {
      id = dictionary.size;
      dictionary.set(key, id);
      newKeys.push(key);
    }
    const texts = variableTexts(tokens);
    if (lines === keys.length) {
      keys = grow(keys);
      ends = grow(ends);
    }
    keys[lines] = id;
    length += (lines === 0 ? 0 : 1) + texts.length;
    ends[lines] = length;
    variables.push(texts);
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
    variables: variables.join('\r'),
    ends: ends.slice(0, lines),
    unmatched,
  };
  port.postMessage(batch, [batch.keys.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer]);
});

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}
