import { parseArgs } from 'node:util';
import { describeError } from '../errors.ts';

/** Wrong usage of a command: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

type OptionSpec = Record<string, { type: 'string' } | { type: 'boolean' }>;

/** A command's options and positionals; anything wrong or missing is a UsageError naming it. */
export function parseCommandArgs<const Options extends OptionSpec>(args: string[], options: Options, minPositionals: number) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length < minPositionals) throw new UsageError('a request or model name is missing');
    return parsed;
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}

/** A positive whole number given to an option, or a UsageError naming the option and the value. */
export function integerOption(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
  return number;
}
