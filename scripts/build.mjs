// `npm run build` (and `npm ci`, through `prepare`): src/ and tools/ compiled by tsc into dist/, with the
// files the code reads beside its modules (SQL migrations, the planner's weights, the worker's entry).
// `--if-stale` builds only when a source is newer than the last build (the tests and benches use it).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const stamp = join(dist, 'build-stamp.json');
const sourceDirs = ['src', 'tools'];
const inputs = [...sourceDirs, 'tsconfig.json', 'tsconfig.build.json'];

function* filesUnder(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true })) yield* filesUnder(join(path, entry.name));
}

/** Why a build is needed, or undefined when dist/ is newer than every source. */
function staleness() {
  if (!existsSync(stamp)) return 'no build yet';
  const built = statSync(stamp).mtimeMs;
  for (const input of inputs)
    for (const file of filesUnder(join(root, input)))
      if (statSync(file).mtimeMs > built) return `${relative(root, file)} changed since the last build`;
  return undefined;
}

if (process.argv.includes('--if-stale')) {
  const why = staleness();
  if (why === undefined) process.exit(0);
  process.stderr.write(`building dist/: ${why}\n`);
}

// The stamp carries the time the build started, so a source saved during the build counts as newer.
const started = new Date();
// Built aside and swapped in at the end, so that a process running dist/ meanwhile (a test, npm start)
// never sees a half-written build, and a failed build leaves the last good one in place.
const staging = join(root, 'node_modules', '.cache', `llmops-dist-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', staging], {
  stdio: 'inherit',
});
if (compiled.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write('build: tsc found the errors above; dist/ was left as it was. Fix them and run npm run build again\n');
  process.exit(compiled.status ?? 1);
}
for (const dir of sourceDirs)
  for (const file of filesUnder(join(root, dir))) if (!file.endsWith('.ts')) cpSync(file, join(staging, relative(root, file)));
const stagedStamp = join(staging, 'build-stamp.json');
writeFileSync(stagedStamp, `${JSON.stringify({ built: started.toISOString() })}\n`);
utimesSync(stagedStamp, started, started);
const previous = `${staging}-previous`;
if (existsSync(dist)) renameSync(dist, previous);
renameSync(staging, dist);
rmSync(previous, { recursive: true, force: true });
