#!/usr/bin/env node
// The installed `llmops` command: runs the compiled CLI (dist/, built by `npm ci` or `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'llmops: the compiled code is missing (dist/src/cli/main.js): run `npm run build` in the package folder (npm ci does it), or run the sources with `npm run llmops:dev --`.\n',
  );
  process.exit(1);
}
await import(cli.href);
