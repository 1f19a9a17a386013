import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIDENCE_FLOOR, type Plan, planRequest } from '../src/agent/offline-planner/plan-request.ts';
import { type PlannerCase, readPlannerCases, scorePlan } from '../src/agent/offline-planner/planner-corpus.ts';
import { crossValidate, TRAINING, trainingCases } from '../src/agent/offline-planner/train-intents.ts';

type Planner = (request: string) => Plan;

/** The planner as it was before the held-out corpus (commit 091e11c), for the before/after columns. */
const BASELINE_COMMIT = '091e11c';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Loads the baseline planner from git into a temporary folder, its relative imports pointed
 * back at this checkout's modules (catalogues, help text), so nothing old lives in src/.
 */
async function baselinePlanner(): Promise<{ plan: Planner; dispose: () => void } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'planner-baseline-'));
  try {
    for (const file of ['plan-request.ts', 'entities.ts']) {
      const source = execFileSync('git', ['show', `${BASELINE_COMMIT}:src/agent/offline-planner/${file}`], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const pointed = source.replace(
        /from '\.\.\/\.\.\/([^']+)'/g,
        (_m, rest: string) => `from '${pathToFileURL(join(ROOT, 'src', rest)).href}'`,
      );
      writeFileSync(join(dir, file), pointed);
    }
    const module = (await import(pathToFileURL(join(dir, 'plan-request.ts')).href)) as { planRequest: Planner };
    return { plan: (request) => module.planRequest(request), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

interface Score {
  n: number;
  tool: number;
  args: number;
}

function score(planner: Planner, cases: readonly PlannerCase[]): Score {
  let tool = 0;
  let args = 0;
  for (const c of cases) {
    const result = scorePlan(planner(c.u), c);
    if (result.tool) tool++;
    if (result.args) args++;
  }
  return { n: cases.length, tool, args };
}

const ratio = (part: number, whole: number) => (whole === 0 ? '   -  ' : (part / whole).toFixed(3).padStart(6));
const cell = (s: Score | undefined, key: 'tool' | 'args') => (s ? ratio(s[key], s.n) : '   -  ');

function groupBy(cases: readonly PlannerCase[], key: (c: PlannerCase) => string): Map<string, PlannerCase[]> {
  const groups = new Map<string, PlannerCase[]>();
  for (const c of cases) groups.set(key(c), [...(groups.get(key(c)) ?? []), c]);
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

function printTable(title: string, rows: Array<[string, readonly PlannerCase[]]>, before: Planner | undefined): void {
  console.log(`  ${title}`);
  console.log(`    ${'set'.padEnd(24)} ${'n'.padStart(4)}  right tool (before → now)  args correct (before → now)`);
  for (const [name, cases] of rows) {
    const now = score(planRequest, cases);
    const old = before ? score(before, cases) : undefined;
    console.log(
      `    ${name.padEnd(24)} ${String(cases.length).padStart(4)}  ${cell(old, 'tool')} → ${cell(now, 'tool')}           ${cell(old, 'args')} → ${cell(now, 'args')}`,
    );
  }
}

/** Right tool and correct arguments of the offline planner on the shared cases, its dev half and its held-out test half, before and after. */
export async function benchPlanner(): Promise<void> {
  const sets: Array<[string, string]> = [
    ['shared planner_cases', join(ROOT, '../shared/data/planner_cases.jsonl')],
    ['dev', join(ROOT, 'test/fixtures/planner/dev.jsonl')],
    ['dev-extra', join(ROOT, 'test/fixtures/planner/dev-extra.jsonl')],
    ['test (held out)', join(ROOT, 'test/fixtures/planner/test.jsonl')],
  ];
  const loaded = sets.flatMap(([name, path]) => {
    if (existsSync(path)) return [[name, readPlannerCases(path)] as [string, PlannerCase[]]];
    console.log(`  (${name}: ${path} is missing; skipped)`);
    return [];
  });
  const baseline = await baselinePlanner();
  if (!baseline) console.log(`  (the baseline planner of ${BASELINE_COMMIT} could not be read from git; "before" left empty)`);
  try {
    console.log('offline planner: right tool (null = asks back) and args correct (right tool and every expected fragment)');
    printTable('by corpus', loaded, baseline?.plan);
    // The shipped classifier learnt dev and dev-extra, so their "now" columns are in-sample; cross-validation is the honest dev figure.
    const dev = trainingCases();
    if (dev.length > 0) {
      const cv = crossValidate(dev, TRAINING, CONFIDENCE_FLOOR);
      console.log(
        `  dev + dev-extra, 5-fold cross-validated (each fold planned by a model trained without it): right tool ${cv.tool.toFixed(3)}, args correct ${cv.args.toFixed(3)} (n=${cv.n})`,
      );
    }
    const test = loaded.find(([name]) => name.startsWith('test'))?.[1];
    if (test) {
      printTable('test half by expected tool', [...groupBy(test, (c) => c.tool ?? '(ask back)')], baseline?.plan);
      printTable('test half by language', [...groupBy(test, (c) => c.lang ?? '?')], baseline?.plan);
    }
  } finally {
    baseline?.dispose();
  }
}
