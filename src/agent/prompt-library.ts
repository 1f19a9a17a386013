import { readFileSync } from 'node:fs';
import { AppError } from '../errors.ts';
import { PACKAGE_ROOT } from '../module-path.ts';

// The package's prompts/, from the sources and from the build alike.
const PROMPTS_DIR = new URL('prompts/', PACKAGE_ROOT);

/** Reads `prompts/<name>.md`; prompts are loaded once at start, so a missing one stops the start. */
export function loadPrompt(name: string): string {
  try {
    return readFileSync(new URL(`${name}.md`, PROMPTS_DIR), 'utf8').trim();
  } catch (error) {
    throw new AppError('prompt_missing', `prompts/${name}.md could not be read: ${(error as Error).message}`, { cause: error });
  }
}
