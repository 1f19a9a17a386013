import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SCENARIO_KINDS, type ScenarioKind } from './incident-types.ts';
import { generateScenario, type Scenario } from './scenario.ts';
import { rcaArgs, writeScenario } from './write.ts';

/**
 * The protocol: development seeds 1..N (rules and weights are chosen on these only) and a
 * held-out test range far away (never looked at while choosing). Each scenario's files are
 * written to a temporary folder and given to `llmops rca` exactly as a user would; the top
 * hypothesis is right when its kind and its blamed event (or none) match the truth.
 */
export const DEV_SEEDS = range(1, 140);
export const TEST_SEEDS = range(100_001, 100_140);

/** The engine before this protocol existed, to print beside the current one. */
export const BASELINE_COMMIT = '091e11c';

export type RcaCommand = (
  args: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
) => Promise<number>;

/** An engine, and whether the run names the affected deployment (`--deployment`) or lets the engine choose. */
export type Engine = RcaCommand | { rca: RcaCommand; nameDeployment: boolean };

export interface Outcome {
  seed: number;
  truth: { kind: ScenarioKind; eventIds: string[] };
  variant: string;
  predicted: { kind: string; event_id: string | null } | undefined;
  /** Kind and blamed event both right. */
  right: boolean;
  kindRight: boolean;
  error?: string | undefined;
  about: Scenario['about'];
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Runs `rca` on one scenario; when the engine chose another deployment than the affected one, it is wrong. */
export async function evaluateScenario(scenario: Scenario, engine: Engine, dir: string): Promise<Outcome> {
  const { rca, nameDeployment } = typeof engine === 'function' ? { rca: engine, nameDeployment: true } : engine;
  const paths = await writeScenario(scenario, dir);
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    ({
      write: (s: string) => {
        append(s);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  let predicted: Outcome['predicted'];
  let error: string | undefined;
  try {
    const code = await rca(rcaArgs(scenario, paths, nameDeployment), {
      stdout: sink((s) => {
        stdout += s;
      }),
      stderr: sink((s) => {
        stderr += s;
      }),
    });
    if (code !== 0) error = `exit ${code}: ${stderr.slice(0, 300)}`;
    else {
      const top = (JSON.parse(stdout) as { hypotheses: Array<{ kind: string; event_id: string | null }> }).hypotheses[0];
      const analysed = /analysing (\S+), the deployment/.exec(stderr)?.[1] ?? scenario.deployment;
      predicted =
        top && analysed === scenario.deployment
          ? { kind: top.kind, event_id: top.event_id }
          : { kind: `another deployment`, event_id: null };
    }
  } catch (e) {
    error = e instanceof Error ? e.message.slice(0, 300) : String(e);
  }
  const kindRight = predicted?.kind === scenario.truth.kind;
  const eventRight =
    scenario.truth.eventIds.length === 0
      ? predicted?.event_id === null
      : scenario.truth.eventIds.includes(predicted?.event_id ?? '');
  return {
    seed: scenario.seed,
    truth: scenario.truth,
    variant: scenario.variant,
    predicted,
    right: kindRight && eventRight,
    kindRight,
    error,
    about: scenario.about,
  };
}

/** Every seed through each engine, each scenario written once to its own temporary folder. */
export async function evaluateSeeds(
  seeds: readonly number[],
  engines: Readonly<Record<string, Engine>>,
): Promise<Record<string, Outcome[]>> {
  const root = await mkdtemp(join(tmpdir(), 'llmops-rca-scenarios-'));
  const out: Record<string, Outcome[]> = Object.fromEntries(Object.keys(engines).map((name) => [name, []]));
  try {
    for (const seed of seeds) {
      const scenario = generateScenario(seed);
      const dir = join(root, String(seed));
      for (const [name, rca] of Object.entries(engines))
        (out[name] as Outcome[]).push(await evaluateScenario(scenario, rca, dir));
      await rm(dir, { recursive: true, force: true });
    }
    return out;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The `rca` command of the repository as it was at `commit`, unpacked into scratch/ (git archive), or undefined without git. */
export async function baselineCommand(commit = BASELINE_COMMIT): Promise<RcaCommand | undefined> {
  const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const dir = join(repo, 'scratch', `rca-baseline-${commit}`);
  const entry = join(dir, 'src', 'cli', 'rca-command.ts');
  if (!existsSync(entry)) {
    try {
      mkdirSync(dir, { recursive: true });
      const archive = execFileSync('git', ['-C', repo, 'archive', commit, 'src'], { maxBuffer: 256 * 1024 * 1024 });
      execFileSync('tar', ['-x', '-C', dir], { input: archive });
    } catch {
      return undefined;
    }
  }
  const module = (await import(pathToFileURL(entry).href)) as { runRcaCommand: RcaCommand };
  return module.runRcaCommand;
}

export interface Summary {
  n: number;
  right: number;
  kindRight: number;
  errors: number;
  perKind: Record<string, { n: number; right: number }>;
  /** truth kind → predicted kind → count (only where kind or event was wrong). */
  confusion: Record<string, Record<string, number>>;
}

export function summarise(outcomes: readonly Outcome[]): Summary {
  const perKind: Summary['perKind'] = {};
  const confusion: Summary['confusion'] = {};
  for (const kind of SCENARIO_KINDS) perKind[kind] = { n: 0, right: 0 };
  for (const o of outcomes) {
    const entry = perKind[o.truth.kind] as { n: number; right: number };
    entry.n++;
    if (o.right) entry.right++;
    else {
      const predicted = o.error ? 'error' : o.kindRight ? `${o.predicted?.kind} (wrong event)` : (o.predicted?.kind ?? 'none');
      confusion[o.truth.kind] ??= {};
      const row = confusion[o.truth.kind] as Record<string, number>;
      row[predicted] = (row[predicted] ?? 0) + 1;
    }
  }
  return {
    n: outcomes.length,
    right: outcomes.filter((o) => o.right).length,
    kindRight: outcomes.filter((o) => o.kindRight).length,
    errors: outcomes.filter((o) => o.error).length,
    perKind,
    confusion,
  };
}
