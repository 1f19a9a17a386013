import { AppError } from '../../errors.ts';

/**
 * Loghub log formats: `<Date> <Time> <Level> <Component>: <Content>`. As Loghub's own
 * `generate_logformat_regex`: the format is split on `<Header>` placeholders; each header becomes a
 * lazy named group `(?<Header>.*?)`, each literal part between them is kept as regex source (so
 * `\[` in a format is a literal bracket) with runs of spaces turned into `\s+`; the whole is
 * anchored `^…$`. Lines are trimmed before matching, as Loghub does.
 */
export interface LogFormat {
  regex: RegExp;
  headers: string[];
  /**
   * The same pattern capturing only `Content`, for the per-line path; when the format
   * ends with `<Content>`, only what comes before it (`contentStart`): the rest of the line is the
   * content whenever `.` can cross it (see `formatContent`).
   */
  content: RegExp;
  contentStart?: RegExp;
}

const HEADER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseLogFormat(format: string): LogFormat {
  if (typeof format !== 'string' || format.trim() === '')
    throw new AppError('log_format_invalid', 'log format is empty; expected e.g. "<Date> <Time> <Level> <Content>"');
  const parts = format.split(/(<[^<>]+>)/);
  // Back-references in the literal parts need the headers' groups where they are.
  const named = parts.some((part, index) => index % 2 === 0 && /\\[1-9k]/.test(part));
  const headers: string[] = [];
  let source = '';
  let contentSource = '';
  let beforeContent = '';
  parts.forEach((part, index) => {
    if (index % 2 === 0) {
      const literal = part.replace(/ +/g, '\\s+');
      source += literal;
      contentSource += literal;
      return;
    }
    const name = part.slice(1, -1).trim();
    if (!HEADER_NAME.test(name))
      throw new AppError('log_format_invalid', `log format header <${name}> is not a valid name (letters, digits, _)`);
    if (headers.includes(name)) throw new AppError('log_format_invalid', `log format repeats the header <${name}>`);
    headers.push(name);
    source += `(?<${name}>.*?)`;
    if (name === 'Content') beforeContent = contentSource;
    contentSource += named || name === 'Content' ? `(?<${name}>.*?)` : '.*?';
  });
  if (!headers.includes('Content'))
    throw new AppError('log_format_invalid', `log format "${format}" has no <Content> header (the message to parse)`);
  try {
    const regex = new RegExp(`^${source}$`);
    const endsWithContent = parts[parts.length - 1] === '' && parts[parts.length - 2]?.slice(1, -1).trim() === 'Content';
    return {
      regex,
      headers,
      content: new RegExp(`^${contentSource}$`),
      ...(endsWithContent ? { contentStart: new RegExp(`^${beforeContent}`) } : {}),
    };
  } catch (error) {
    throw new AppError('log_format_invalid', `log format "${format}" is not a valid pattern: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The header fields of one line, or undefined when the line does not match the format. */
export function parseLogLine(format: LogFormat, line: string): Record<string, string> | undefined {
  const match = format.regex.exec(line.replace(/\r$/, '').trim());
  if (!match?.groups) return undefined;
  return { ...match.groups };
}

/** The `Content` of one line, or undefined when the line does not match the format. */
export function extractContent(format: LogFormat, line: string): string | undefined {
  return formatContent(format, line.replace(/\r$/, '').trim());
}

/**
 * The `Content` of a trimmed line, as `format.regex` would capture it. When the format ends with
 * `<Content>`, the first way the headers before it match is the one the whole pattern takes, as long
 * as the lazy `(?<Content>.*?)$` can then reach the end, which it can unless a line separator that
 * `.` does not cross (U+2028, U+2029) follows; such a line takes the whole pattern.
 */
export function formatContent(format: LogFormat, line: string): string | undefined {
  const start = format.contentStart;
  if (start !== undefined) {
    const match = start.exec(line);
    if (match === null) return undefined;
    const content = line.slice(match[0].length);
    if (content.indexOf('\u2028') < 0 && content.indexOf('\u2029') < 0) return content;
  }
  return format.content.exec(line)?.groups?.Content;
}

/** Loghub-2k formats of the 8 systems in ../shared/data/loghub (see its README). */
export const LOGHUB_FORMATS: Readonly<Record<string, string>> = {
  HDFS: '<Date> <Time> <Pid> <Level> <Component>: <Content>',
  Hadoop: '<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>',
  Spark: '<Date> <Time> <Level> <Component>: <Content>',
  BGL: '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>',
  Linux: '<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>',
  OpenSSH: '<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>',
  Proxifier: '\\[<Time>\\] <Program> - <Content>',
  Apache: '\\[<Time>\\] \\[<Level>\\] <Content>',
};
