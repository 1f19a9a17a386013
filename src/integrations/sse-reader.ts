/**
 * A small incremental parser for Server-Sent Events (the `text/event-stream` format OpenAI-compatible servers
 * stream completions in). Only `data:` fields matter here: `event:`, `id:` and `retry:` are skipped, comment
 * lines (starting with ':') are ignored, and the `data:` lines of one event are joined with '\n' as the
 * specification says. Lines may end in LF, CRLF or a lone CR, and may be split anywhere across pushes.
 *
 * It allocates one string per `data:` line and nothing per other line, so it stays cheap at thousands of
 * events per second.
 */
export class SseParser {
  private buffer = '';
  private data: string | null = null;
  /** The previous push ended in '\r': a '\n' opening the next push belongs to the same line break. */
  private pendingCr = false;
  private stopped = false;

  /** `onData` receives the data of each complete event; return `false` to ignore the rest of the stream. */
  constructor(private readonly onData: (data: string) => boolean | undefined) {}

  /** Whether `onData` asked to stop. */
  get done(): boolean {
    return this.stopped;
  }

  push(text: string): void {
    if (this.stopped || text.length === 0) return;
    const buf = this.buffer.length > 0 ? this.buffer + text : text;
    this.buffer = '';
    let start = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (buf.charCodeAt(0) === 10) start = 1;
    }
    const length = buf.length;
    // Look for '\r' once; most servers never send one, and then it is never searched again in this push.
    let cr = buf.indexOf('\r', start);
    while (start < length) {
      const lf = buf.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buf.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < length) {
          next = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        } else {
          next = length;
          this.pendingCr = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(buf, start, end);
      start = next;
      if (this.stopped) return;
    }
    if (start < length) this.buffer = start === 0 ? buf : buf.slice(start);
  }

  /** The stream ended: a last line or event without its terminating blank line is still delivered. */
  end(): void {
    if (this.stopped) return;
    if (this.buffer.length > 0) {
      const rest = this.buffer;
      this.buffer = '';
      this.line(rest, 0, rest.length);
    }
    if (!this.stopped && this.data !== null) this.dispatch();
  }

  private line(buf: string, start: number, end: number): void {
    if (start === end) {
      if (this.data !== null) this.dispatch();
      return;
    }
    // "data" = 0x64 0x61 0x74 0x61; anything else (comments, event:, id:, retry:) is skipped without slicing.
    if (
      end - start < 4 ||
      buf.charCodeAt(start) !== 100 ||
      buf.charCodeAt(start + 1) !== 97 ||
      buf.charCodeAt(start + 2) !== 116 ||
      buf.charCodeAt(start + 3) !== 97
    ) {
      return;
    }
    let valueStart = start + 4;
    if (valueStart < end) {
      if (buf.charCodeAt(valueStart) !== 58) return; // a field such as "database:", not "data"
      valueStart++;
      if (valueStart < end && buf.charCodeAt(valueStart) === 32) valueStart++;
    }
    const value = buf.slice(valueStart, end);
    this.data = this.data === null ? value : `${this.data}\n${value}`;
  }

  private dispatch(): void {
    const data = this.data as string;
    this.data = null;
    if (this.onData(data) === false) this.stopped = true;
  }
}

/**
 * Feeds a `fetch` response body through an {@link SseParser} and resolves when the body ends. After `onData`
 * returns `false` the rest of the body is still read (and ignored) so the keep-alive connection can be reused;
 * servers end the response right after `data: [DONE]`.
 */
export async function readSse(body: ReadableStream<Uint8Array>, onData: (data: string) => boolean | undefined): Promise<void> {
  const parser = new SseParser(onData);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!parser.done) parser.push(decoder.decode(value, { stream: true }));
    }
    if (!parser.done) {
      parser.push(decoder.decode());
      parser.end();
    }
  } finally {
    reader.releaseLock();
  }
}
