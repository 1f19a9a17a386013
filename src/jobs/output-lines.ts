/** How many of the last lines a failure report keeps. */
export const LAST_LINES = 20;

/** A line longer than this is passed on in pieces, so output without line ends cannot grow without bound. */
const MAX_LINE = 64 * 1024;

/**
 * Cuts a stream of text into lines. `\r` ends a line too, so each step of a progress bar
 * (tqdm redraws with `\r`) arrives as a line of its own; blank lines are dropped.
 */
export class LineSplitter {
  private partial = '';

  /** The complete lines in `chunk`, keeping a trailing partial line for the next chunk. */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    while (this.partial.length > MAX_LINE) {
      parts.push(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
    return parts.filter((line) => line.trim() !== '');
  }

  /** The partial line left at the end of the stream, if any. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest.trim() === '' ? [] : [rest];
  }
}

/** The last LAST_LINES lines seen, oldest first. */
export class RecentLines {
  private readonly lines: string[] = [];

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LAST_LINES) this.lines.shift();
  }

  list(): string[] {
    return [...this.lines];
  }
}
