import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * HDFS-like log lines for throughput benches: each line is a line of a Loghub HDFS sample with its
 * values drawn anew (block ids, a block often coming back as HDFS's do; IPs; sizes; the digits in
 * task paths; the pid; a clock that moves forward), so a file is as large as asked while its events
 * stay the sample's: the template count is what a real HDFS log gives, not one per line, and not one
 * in all. Deterministic for a seed. Several files are written in one pass, each the first lines of
 * the longest.
 */
export function writeHdfsLikeLogs(
  sample: readonly string[],
  targets: readonly { file: string; lines: number }[],
  seed = 42,
): void {
  // Lines end with LF only, as HDFS writes them (the Loghub sample has CRLF).
  const shapes = sample
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => HEADER.test(line))
    .map(lineShape);
  if (shapes.length === 0) throw new Error('the HDFS sample has no line of the HDFS format (yymmdd hhmmss pid …)');
  const sorted = [...targets].sort((a, b) => a.lines - b.lines);
  const total = sorted[sorted.length - 1]?.lines ?? 0;
  let state = seed >>> 0;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const digits = (length: number) => {
    let out = String(1 + int(9));
    while (out.length < length) out += String(1e8 + int(9e8)).slice(1);
    return out.slice(0, length);
  };
  // A block is written, replicated, served and deleted: recent blocks come back.
  const recent: string[] = [];
  const block = () => {
    if (recent.length > 0 && next() < 0.6) return recent[int(recent.length)] as string;
    const fresh = `blk_${next() < 0.5 ? '-' : ''}${digits(18 + int(2))}`;
    if (recent.length < 4096) recent.push(fresh);
    else recent[int(recent.length)] = fresh;
    return fresh;
  };
  const value: Record<Slot['kind'], (slot: Slot) => string> = {
    block,
    ip: () => `10.251.${int(256)}.${int(256)}`,
    size: () => `size ${next() < 0.8 ? '67108864' : String(1 + int(67108864))}`,
    digits: (slot) => digits(slot.length),
  };
  const fds = sorted.map((target) => openSync(target.file, 'w'));
  try {
    let clock = Date.UTC(2008, 10, 9, 20, 36, 15);
    let chunk = '';
    let chunkLines = 0;
    const flush = (written: number) => {
      const chunkStart = written - chunkLines;
      sorted.forEach((target, t) => {
        if (chunkStart >= target.lines) return;
        const keep = Math.min(chunkLines, target.lines - chunkStart);
        writeSync(fds[t] as number, keep === chunkLines ? chunk : firstLines(chunk, keep));
      });
      chunk = '';
      chunkLines = 0;
    };
    for (let i = 0; i < total; i++) {
      const shape = shapes[int(shapes.length)] as LineShape;
      clock += int(3) * 1000;
      const d = new Date(clock);
      let line = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())} ${1 + int(700)} `;
      for (const part of shape) line += typeof part === 'string' ? part : value[part.kind](part);
      chunk += `${line}\n`;
      chunkLines++;
      if (chunkLines === 20_000 || i + 1 === total) flush(i + 1);
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

interface Slot {
  kind: 'block' | 'ip' | 'size' | 'digits';
  length: number;
}
/** A sample line after its date, time and pid: literal text and the values to draw. */
type LineShape = (string | Slot)[];

const HEADER = /^\d{6} \d{6} \d+ /;
const VALUES = /(blk_-?\d+)|(\d+\.\d+\.\d+\.\d+)|(size \d+)|(?<=[_-])(\d{3,})/g;

function lineShape(line: string): LineShape {
  const rest = line.replace(HEADER, '');
  const shape: LineShape = [];
  let at = 0;
  for (const match of rest.matchAll(VALUES)) {
    const index = match.index ?? 0;
    if (index > at) shape.push(rest.slice(at, index));
    const kind = match[1] ? 'block' : match[2] ? 'ip' : match[3] ? 'size' : 'digits';
    shape.push({ kind, length: match[0].length });
    at = index + match[0].length;
  }
  if (at < rest.length) shape.push(rest.slice(at));
  return shape;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function firstLines(text: string, count: number): string {
  let at = -1;
  for (let i = 0; i < count; i++) at = text.indexOf('\n', at + 1);
  return text.slice(0, at + 1);
}
