/**
 * Writes the small Loghub-2k sample the unit tests use (`test/fixtures/loghub/`): every tenth
 * line of each system's log (lines 5, 15, …, 1995, so that rare events such as Proxifier's two
 * SOCKS5 lines are represented) and their ground-truth rows, with Loghub's licence and
 * citation. The full sets stay in ../shared/data/loghub (benches read them from there).
 *
 *   npx tsx bench/make-loghub-fixture.ts [LOGHUB_DIR]
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOGHUB_FORMATS } from '../src/analysis/logs/format.ts';

const EVERY = 10;
const OFFSET = 5;
const source = process.argv[2] ?? fileURLToPath(new URL('../../shared/data/loghub/', import.meta.url));
const target = fileURLToPath(new URL('../test/fixtures/loghub/', import.meta.url));

/** Lines OFFSET, OFFSET + EVERY, … (1-based) of a file, each with its own line ending as written. */
function sample(text: string, skipHeader: boolean): string {
  const lines = text.split(/(?<=\n)/);
  const header = skipHeader ? (lines.shift() ?? '') : '';
  return header + lines.filter((_, i) => (i + 1) % EVERY === OFFSET % EVERY).join('');
}

for (const system of Object.keys(LOGHUB_FORMATS)) {
  mkdirSync(join(target, system), { recursive: true });
  const log = readFileSync(join(source, system, `${system}_2k.log`), 'utf8');
  writeFileSync(join(target, system, `${system}_2k.log`), sample(log, false));
  // Structured rows are one CSV line each (the loader checks): the header, then one row per log line.
  const csv = readFileSync(join(source, system, `${system}_2k.log_structured_corrected.csv`), 'utf8');
  writeFileSync(join(target, system, `${system}_2k.log_structured_corrected.csv`), sample(csv, true));
}
copyFileSync(join(source, 'LICENSE'), join(target, 'LICENSE'));
copyFileSync(join(source, 'CITATION'), join(target, 'CITATION'));
process.stdout.write(`wrote every ${EVERY}th line of ${Object.keys(LOGHUB_FORMATS).length} systems to ${target}\n`);
