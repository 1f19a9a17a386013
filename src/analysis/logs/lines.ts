import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Lines of UTF-8 text given in chunks of any size, exactly as `node:readline` with
 * `crlfDelay: Infinity` gives them: `\r\n`, `\n` or a lone `\r` ends a line (a `\r\n` split
 * between two chunks is still one break), the same decoder turns bytes into text, and a last line
 * without a break is given unless it is empty. Without readline's per-chunk regex, event and
 * string joins: the text of each chunk is cut at its breaks with `indexOf`.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** The start of a line that the previous chunk did not finish. */
  private carry = '';
  /** The previous chunk ended with `\r`: a `\n` that starts the next one is part of that break. */
  private afterCr = false;
  /** The decoder may hold the first bytes of a character the previous chunk cut. */
  private decoderHolds = false;

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds the next chunk: bytes, or text already decoded. */
  write(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decode(chunk);
    const n = text.length;
    if (n === 0) return;
    let from = 0;
    if (this.afterCr) {
      this.afterCr = false;
      if (text.charCodeAt(0) === 10) from = 1;
    }
    // The next `\n` and `\r` at or after `from`, each looked for again only once passed.
    let lf = text.indexOf('\n', from);
    let cr = text.indexOf('\r', from);
    let carry = this.carry;
    for (;;) {
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 < n) next = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = n;
          this.afterCr = true;
        }
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      const piece = text.slice(from, end);
      if (carry === '') this.onLine(piece);
      else {
        this.onLine(carry + piece);
        carry = '';
      }
      from = next;
      if (lf >= 0 && lf < from) lf = text.indexOf('\n', from);
      if (cr >= 0 && cr < from) cr = text.indexOf('\r', from);
    }
    this.carry = from < n ? carry + text.slice(from) : carry;
  }

  /** Text of a chunk: ASCII as it is (what the decoder would give, faster), the rest through the decoder. */
  private decode(chunk: Buffer): string {
    if (!this.decoderHolds && isAscii(chunk)) return chunk.toString('latin1');
    const text = this.decoder.write(chunk);
    // A chunk that ends with an ASCII byte leaves nothing in the decoder.
    this.decoderHolds = chunk.length > 0 && (chunk[chunk.length - 1] as number) >= 0x80;
    return text;
  }

  /**
   * Ends the input: gives the last line when it had no break and is not empty. Bytes of a
   * character the input cut short are dropped, as readline drops them.
   */
  end(): void {
    const rest = this.carry;
    this.carry = '';
    if (rest !== '') this.onLine(rest);
  }
}

/** Size of the reads of `readLinesSync`: few enough calls, small enough to stay in cache. */
const READ_BYTES = 1 << 20;

/** Gives every line of a file, read in large chunks; the same lines as readline over a read stream. */
export function readLinesSync(path: string, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine);
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (let read = readSync(fd, buffer, 0, READ_BYTES, null); read > 0; read = readSync(fd, buffer, 0, READ_BYTES, null))
      splitter.write(read === READ_BYTES ? buffer : buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  splitter.end();
}
