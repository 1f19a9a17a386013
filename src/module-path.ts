import { fileURLToPath } from 'node:url';

/**
 * Whether this code runs compiled (`dist/…/*.js`, built by `npm run build`) rather than as the
 * TypeScript sources (through tsx, or vitest in the tests). All modules are built together, so
 * this module's own form is everyone's.
 */
export const RUNS_COMPILED = !import.meta.url.endsWith('.ts');

/**
 * The package's folder, where package.json, prompts/ and config/ live: two levels above this
 * module in the sources (src/module-path.ts), three in the build (dist/src/module-path.js).
 */
export const PACKAGE_ROOT = new URL(RUNS_COMPILED ? '../../' : '../', import.meta.url);

/** A file of the package by its path from the package's folder, e.g. `prompts/system.md`. */
export function packageFile(path: string): string {
  return fileURLToPath(new URL(path, PACKAGE_ROOT));
}

/**
 * The file to run for a source module given by its `.ts` URL: the compiled `.js` beside it in
 * dist when this code runs compiled, the `.ts` itself otherwise.
 */
export function runnableFile(source: URL): string {
  const path = fileURLToPath(source);
  return RUNS_COMPILED ? path.replace(/\.ts$/, '.js') : path;
}

/** `node` and its arguments to run a module as a child process: compiled as is, sources through tsx. */
export function nodeCommandFor(source: URL): string[] {
  return RUNS_COMPILED ? [process.execPath, runnableFile(source)] : [process.execPath, '--import', 'tsx', runnableFile(source)];
}
