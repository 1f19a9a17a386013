/** Runs of base64 or base64url characters long enough to wrap a token (≥ 24 characters, i.e. ≥ 18 bytes). */
const RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])/g;
/** Longer runs are file contents or images, not a wrapped token; decoding them is not worth it. */
const MAX_RUN = 16_384;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface EncodedText {
  start: number;
  end: number;
  decoded: string;
}

/**
 * The base64 (or base64url) runs of `text` that decode to readable text: valid UTF-8 with no
 * control characters other than tabs and line breaks. Random bytes, digests and ordinary words
 * almost never do, so only runs that really wrap text are returned.
 */
export function base64TextRuns(text: string): EncodedText[] {
  const found: EncodedText[] = [];
  for (const match of text.matchAll(RUN)) {
    const run = match[0];
    if (run.length > MAX_RUN) continue;
    const body = run.replace(/=+$/, '');
    // One alphabet per run, and a length base64 can have.
    if (/[+/]/.test(body) && /[-_]/.test(body)) continue;
    if (body.length % 4 === 1 || (run.length !== body.length && run.length % 4 !== 0)) continue;
    const decoded = decodeText(body);
    if (decoded !== undefined) found.push({ start: match.index, end: match.index + run.length, decoded });
  }
  return found;
}

function decodeText(body: string): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(Buffer.from(body, /[-_]/.test(body) ? 'base64url' : 'base64'));
  } catch {
    return undefined;
  }
  if (text.length < 8) return undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f)) return undefined;
    if (code === 0xfffd) return undefined;
  }
  return text;
}
