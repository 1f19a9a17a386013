// The load hook of module-counter.mjs (it runs on the hooks thread): one line per module loaded.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('node:')) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
