import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * HDFS-like log lines for throughput benches: each line is a line of a Loghub HDFS sample with its
 * values redrawn (block ids, IPs, sizes, the digits in task paths, the pid, a clock that moves
 * forward), so the file is as large as asked while its events stay the sample's: the template count
 * stays what a real HDFS log gives, not one per line, and not one in all. Deterministic for a seed.
 */
export function writeHdfsLikeLogs(sample: readonly string[], targets: readonly { file: string; lines: number }[], seed = 42) {
  const lines = sample.filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error('the HDFS sample has no lines');
  const sorted = [...targets].sort((a, b) => a.lines - b.lines);
  const total = sorted[sorted.length - 1]?.lines ?? 0;
  const fds = sorted.map((target) => openSync(target.file, 'w'));
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
    while (out.length < length) out += String(int(10));
    return out;
  };
  const ip = () => `10.251.${int(256)}.${int(256)}`;
  const block = () => `blk_${next() < 0.5 ? '-' : ''}${digits(18 + int(2))}`;
  // A block is written, replicated, served and deleted: recent blocks come back.
  const recent: string[] = [];
  const blockId = () => {
    if (recent.length > 0 && next() < 0.6) return recent[int(recent.length)] as string;
    const fresh = block();
    if (recent.length < 4096) recent.push(fresh);
    else recent[int(recent.length)] = fresh;
    return fresh;
  };
  let clock = Date.UTC(2008, 10, 9, 20, 36, 15);
  try {
    let chunk = '';
    let chunkLines = 0;
    let written = 0;
    const flush = () => {
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
      const line = lines[int(lines.length)] as string;
      clock += int(3) * 1000;
      const date = new Date(clock);
      const stamp =
        `${pad(date.getUTCFullYear() % 100)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())} ` +
        `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
      const rest = line
        .replace(/^\d{6} \d{6} \d+ /, () => `${stamp} ${1 + int(700)} `)
        .replace(/blk_-?\d+/g, blockId)
        .replace(/\d+\.\d+\.\d+\.\d+/g, ip)
        .replace(/size \d+/g, () => `size ${next() < 0.8 ? '67108864' : String(1 + int(67108864))}`)
        .replace(/(_|-)(\d{3,})/g, (_match, lead: string, run: string) => lead + digits(run.length));
      chunk += `${rest}\n`;
      chunkLines++;
      written++;
      if ((i + 1) % 20_000 === 0 || i + 1 === total) flush();
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function firstLines(text: string, count: number): string {
  let at = -1;
  for (let i = 0; i < count; i++) at = text.indexOf('\n', at + 1);
  return text.slice(0, at + 1);
}
