import { runRcaCommand } from '../src/cli/rca-command.ts';
import {
  BASELINE_COMMIT,
  baselineCommand,
  DEV_SEEDS,
  type Engine,
  evaluateSeeds,
  type Outcome,
  type Summary,
  summarise,
  TEST_SEEDS,
} from './rca-scenarios/evaluate.ts';
import { SCENARIO_KINDS } from './rca-scenarios/incident-types.ts';

/**
 * The root-cause engine on generated incidents it was never tuned on: `llmops rca` (in-process, with
 * the files a user would give it) on the development seeds and on the held-out test seeds, beside the
 * engine as it was at BASELINE_COMMIT. Top-1 is right when the first hypothesis has the right kind and
 * blames the right event (or none). Runs name the affected deployment, as whoever was paged would; one
 * more row lets the engine choose it. Prints the totals, the per-kind breakdown and the test confusions.
 */
export async function benchRcaScenarios(): Promise<void> {
  const engines: Record<string, Engine> = {
    current: runRcaCommand,
    'current, no --deployment': { rca: runRcaCommand, nameDeployment: false },
  };
  const baseline = await baselineCommand();
  if (baseline) engines[`baseline ${BASELINE_COMMIT}`] = baseline;
  const started = Date.now();
  const dev = await evaluateSeeds(DEV_SEEDS, engines);
  const test = await evaluateSeeds(TEST_SEEDS, engines);
  const rows: Array<{ engine: string; set: string; summary: Summary }> = [];
  for (const engine of Object.keys(engines))
    for (const [set, outcomes] of [
      ['dev', dev],
      ['test', test],
    ] as const)
      rows.push({ engine, set, summary: summarise(outcomes[engine] as Outcome[]) });

  console.log(
    `\nRoot cause on generated incidents (${DEV_SEEDS.length} dev seeds ${DEV_SEEDS[0]}..${DEV_SEEDS.at(-1)}, ${TEST_SEEDS.length} held-out test seeds ${TEST_SEEDS[0]}..${TEST_SEEDS.at(-1)}; top-1 = right kind and blamed event)`,
  );
  console.log('| engine | set | top-1 | right kind | failed to read the files | top-1 where it read them |');
  console.log('|---|---|---|---|---|---|');
  for (const { engine, set, summary: s } of rows)
    console.log(
      `| ${engine} | ${set} | ${ratio(s.right, s.n)} | ${ratio(s.kindRight, s.n)} | ${s.errors} | ${ratio(s.right, s.n - s.errors)} |`,
    );

  console.log('\nTop-1 per kind');
  console.log(`| kind | ${rows.map((r) => `${r.engine} ${r.set}`).join(' | ')} |`);
  console.log(`|---|${rows.map(() => '---').join('|')}|`);
  for (const kind of SCENARIO_KINDS)
    console.log(`| ${kind} | ${rows.map((r) => fraction(r.summary.perKind[kind])).join(' | ')} |`);

  for (const { engine, summary } of rows.filter((r) => r.set === 'test')) {
    const lines = Object.entries(summary.confusion).flatMap(([truth, predicted]) =>
      Object.entries(predicted).map(([p, n]) => `${truth} → ${p}: ${n}`),
    );
    console.log(`\nMisses on test, ${engine}: ${lines.length === 0 ? 'none' : lines.join('; ')}`);
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

function ratio(right: number, n: number): string {
  return n > 0 ? (right / n).toFixed(3) : 'n/a';
}

function fraction(entry: { n: number; right: number } | undefined): string {
  return entry ? `${entry.right}/${entry.n}` : '0/0';
}
