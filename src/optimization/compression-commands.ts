import type { Config } from '../config.ts';
import { nodeCommandFor } from '../module-path.ts';
import type { CompressionCommands } from './optimization-service.ts';

const COMPRESSOR = nodeCommandFor(new URL('../demo/run-compression.ts', import.meta.url)).join(' ');

/** The demo's simulated compressor, for local jobs when no command is configured. */
export const DEFAULT_QUANTIZE_COMMAND = `${COMPRESSOR} quantize --model {model} --method {method} --output {output}`;
export const DEFAULT_DISTILL_COMMAND = `${COMPRESSOR} distill --model {model} --student {student} --output {output}`;

/**
 * The commands compression jobs run, split on whitespace before placeholders are filled in (as
 * LOCAL_RUNTIME_COMMAND is), so a value can never become an extra argument. Kubernetes jobs get
 * no default: the command depends on the image (JOB_IMAGE), so an empty template makes the plan
 * say what to set.
 */
export function compressionCommands(
  config: Pick<Config, 'JOB_BACKEND' | 'JOB_IMAGE' | 'QUANTIZE_COMMAND' | 'DISTILL_COMMAND'>,
): CompressionCommands {
  const local = config.JOB_BACKEND === 'local';
  const split = (command: string | undefined) => (command ?? '').split(/\s+/).filter(Boolean);
  return {
    quantize: split(config.QUANTIZE_COMMAND ?? (local ? DEFAULT_QUANTIZE_COMMAND : undefined)),
    distill: split(config.DISTILL_COMMAND ?? (local ? DEFAULT_DISTILL_COMMAND : undefined)),
    image: config.JOB_IMAGE,
  };
}
