import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHalves, countTable, toJsonl } from './corpus.ts';

/**
 * `npx tsx bench/planner-corpus/split.ts [--check]`: validates requests.jsonl (and dev-extra.jsonl),
 * writes the dev and test halves to test/fixtures/planner/ and prints the counts; with --check, only
 * says whether the committed halves are still up to date (exit 1 if not).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(root, 'bench', 'planner-corpus', 'requests.jsonl');
const DEV_EXTRA = join(root, 'bench', 'planner-corpus', 'dev-extra.jsonl');
const DEV = join(root, 'test', 'fixtures', 'planner', 'dev.jsonl');
const TEST = join(root, 'test', 'fixtures', 'planner', 'test.jsonl');

const check = process.argv.includes('--check');
const { dev, test, extra } = buildHalves(
  { text: readFileSync(SOURCE, 'utf8'), name: relative(root, SOURCE) },
  existsSync(DEV_EXTRA) ? { text: readFileSync(DEV_EXTRA, 'utf8'), name: relative(root, DEV_EXTRA) } : undefined,
);
const outputs: [string, string][] = [
  [DEV, toJsonl(dev)],
  [TEST, toJsonl(test)],
];
if (check) {
  const stale = outputs.filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
  if (stale.length > 0) {
    console.error(
      `${stale.map(([path]) => relative(root, path)).join(' and ')} ${stale.length === 1 ? 'is' : 'are'} out of date: run npx tsx bench/planner-corpus/split.ts`,
    );
    process.exit(1);
  }
} else {
  mkdirSync(dirname(DEV), { recursive: true });
  for (const [path, text] of outputs) writeFileSync(path, text);
}
console.log(
  `${dev.length + test.length} requests: ${dev.length} dev (${extra} from dev-extra.jsonl), ${test.length} test${check ? ' (committed halves up to date)' : ''}`,
);
console.log(countTable(dev, test));
