import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A data set a bench needs is not where it looked: the message says where and how to point at it. */
export class MissingDataSet extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingDataSet';
  }
}

/**
 * The folder of a public data set the benches read (not shipped in the repository): the
 * environment variable when set, else the team's shared copy beside the checkout
 * (`../shared/data/<name>`). Throws MissingDataSet naming both when `probe` is not inside.
 */
export function dataSetRoot(name: string, variable: string, probe: string): string {
  const root = process.env[variable]
    ? resolve(process.env[variable] as string)
    : fileURLToPath(new URL(`../../../shared/data/${name}/`, import.meta.url));
  if (!existsSync(join(root, probe)))
    throw new MissingDataSet(
      `${name} not found: ${join(root, probe)} does not exist. Set ${variable} to the folder that holds ${probe} (the team's copy is ../shared/data/${name} beside the checkout).`,
    );
  return root;
}

/** Runs a bench that needs a data set; a missing one is reported in a line and the other benches go on. */
export async function withDataSet(bench: () => Promise<void>): Promise<void> {
  try {
    await bench();
  } catch (error) {
    if (!(error instanceof MissingDataSet)) throw error;
    console.log(`\n(skipped: ${error.message})`);
  }
}
