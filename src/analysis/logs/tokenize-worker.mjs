// The log parser's tokenizing worker thread. From the build, the compiled module beside this file
// (the build copies this file into dist); from the sources, TypeScript compiled on the fly (tsx).
import { existsSync } from 'node:fs';

const compiled = new URL('./tokenize-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./tokenize-worker.ts', import.meta.url).href);
}
