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
}

const HEADER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseLogFormat(format: string): LogFormat {
  if (typeof format !== 'string' || format.trim() === '')
    throw new AppError('log_format_invalid', 'log format is empty; expected e.g. "<Date> <Time> <Level> <Content>"');
  const parts = format.split(/(<[^<>]+>)/);
  const headers: string[] = [];
  let source = '';
  parts.forEach((part, index) => {
    if (index % 2 === 0) {
      source += part.replace(/ +/g, '\\s+');
      return;
    }
    const name = part.slice(1, -1).trim();
    if (!HEADER_NAME.test(name))
      throw new AppError('log_format_invalid', `log format header <${name}> is not a valid name (letters, digits, _)`);
    if (headers.includes(name)) throw new AppError('log_format_invalid', `log format repeats the header <${name}>`);
    headers.push(name);
    source += `(?<${name}>.*?)`;
  });
  if (!headers.includes('Content'))
    throw new AppError('log_format_invalid', `log format "${format}" has no <Content> header (the message to parse)`);
  try {
    return { regex: new RegExp(`^${source}$`), headers };
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
  const match = format.regex.exec(line.replace(/\r$/, '').trim());
  return match?.groups?.Content;
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
