import { readFileSync } from 'node:fs';
import { AppError } from '../errors.ts';

const PROMPTS_DIR = new URL('../../prompts/', import.meta.url);

/** Reads `prompts/<name>.md`; prompts are loaded once at start, so a missing one stops the start. */
export function loadPrompt(name: string): string {
  try {
    return readFileSync(new URL(`${name}.md`, PROMPTS_DIR), 'utf8').trim();
  } catch (error) {
    throw new AppError('prompt_missing', `prompts/${name}.md could not be read: ${(error as Error).message}`, { cause: error });
  }
}
