// `node --import ./bench/support/module-counter.mjs …` with MODULE_COUNT_FILE set: every module the
// process loads is appended to that file (ES modules through a load hook, CommonJS ones from the
// require cache at exit), so a bench can count what a command loads.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.MODULE_COUNT_FILE;
if (file) {
  register(new URL('./module-counter-hooks.mjs', import.meta.url), { data: { file } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const loaded = Object.keys(require.cache);
    if (loaded.length > 0) appendFileSync(file, `${loaded.map((path) => `file://${path}`).join('\n')}\n`);
  });
}
