// The demo servers' worker thread. From the build, the compiled module beside this file (the build
// copies this file into dist); from the sources, TypeScript compiled on the fly as in the main thread (tsx).
import { existsSync } from 'node:fs';

const compiled = new URL('./server-host-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./server-host-worker.ts', import.meta.url).href);
}
