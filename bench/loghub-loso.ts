import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { groupingAccuracy, parseCsv } from '../src/analysis/logs/accuracy.ts';
import {
  DEFAULT_MINER_PARAMETERS,
  type MinerParameters,
  TemplateMiner,
  type TemplateMinerOptions,
} from '../src/analysis/logs/drain.ts';
import { LOGHUB_FORMATS, type LogFormat, parseLogFormat } from '../src/analysis/logs/format.ts';
import { LogParser, lineContent } from '../src/analysis/logs/parse.ts';
import type { MessageTokens } from '../src/analysis/logs/tokens.ts';
import { DRAIN_PUBLISHED_GA, loghubRoot } from './loghub.ts';

/**
 * Leave-one-system-out protocol for the log miner on the 8 shared Loghub-2k systems: every
 * parameter is chosen on 7 systems (grid search over PARAMETER_SPACE, objective = mean grouping
 * accuracy of the 7) and the 8th, never looked at by the choice, is scored with it. Ties go to the
 * point listed first in the grid (declared order), so the procedure is deterministic. The shipped
 * default (DEFAULT_MINER_PARAMETERS) is the point the same procedure chooses on all 8.
 */

/** The declared parameter space, each list in order of preference for ties. */
export const PARAMETER_SPACE: { readonly [K in keyof MinerParameters]: readonly MinerParameters[K][] } = {
  similarity: [0.7, 0.8, 0.9, 1],
  depth: [4, 3, 5],
  mergeDistinct: [0, 2, 3, 4, 6],
  attachedColonValues: [true, false],
  dottedNames: [true, false],
  quotedValues: [true, false],
  collapseRuns: [false, true],
};

/** Every point of the grid, in declared order (the first key varies slowest). */
export function gridPoints(space = PARAMETER_SPACE): MinerParameters[] {
  let points: Partial<MinerParameters>[] = [{}];
  for (const key of Object.keys(space) as (keyof MinerParameters)[]) {
    const values = space[key] as readonly MinerParameters[typeof key][];
    points = points.flatMap((point) => values.map((value) => ({ ...point, [key]: value })));
  }
  return points as MinerParameters[];
}

export interface LoghubSystem {
  name: string;
  lines: string[];
  truth: string[];
}

/** The raw lines and ground-truth EventIds of one Loghub-2k system. */
export async function loadLoghubSystem(name: string, root = loghubRoot()): Promise<LoghubSystem> {
  const text = await readFile(join(root, name, `${name}_2k.log`), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const rows = parseCsv(await readFile(join(root, name, `${name}_2k.log_structured_corrected.csv`), 'utf8'));
  const column = (rows[0] ?? []).indexOf('EventId');
  const truth = rows
    .slice(1)
    .filter((row) => row.length > 1)
    .map((row) => row[column] ?? '');
  if (truth.length !== lines.length) throw new Error(`${name}: ${lines.length} lines but ${truth.length} labels`);
  return { name, lines, truth };
}

function formatOf(system: LoghubSystem): LogFormat | undefined {
  const format = LOGHUB_FORMATS[system.name];
  return format ? parseLogFormat(format) : undefined;
}

/** Grouping accuracy of the miner with `options` on one system (the same path as `llmops logs parse`). */
export function scoreSystem(system: LoghubSystem, options: TemplateMinerOptions): number {
  const parser = new LogParser(formatOf(system), options);
  for (const line of system.lines) parser.push(line);
  return groupingAccuracy(Array.from(parser.finish().eventIds), system.truth);
}

/**
 * Scores every point on every system. Messages are split once per tokenizer setting and re-added
 * to a fresh miner per point (`addTokens`), which is what `add` does, minus the repeated splitting.
 */
function scoreGrid(systems: readonly LoghubSystem[], points: readonly MinerParameters[]): number[][] {
  const contents = systems.map((system) => {
    const format = formatOf(system);
    return system.lines.map((raw) => lineContent(format, raw) ?? raw.replace(/\r$/, ''));
  });
  const tokenCache = new Map<string, MessageTokens[][]>();
  return points.map((point) => {
    const tokenizerKey = `${point.attachedColonValues}/${point.dottedNames}/${point.quotedValues}/${point.collapseRuns}`;
    let tokens = tokenCache.get(tokenizerKey);
    if (!tokens) {
      const splitter = new TemplateMiner(point);
      tokens = contents.map((list) => list.map((content) => splitter.tokenize(content)));
      tokenCache.set(tokenizerKey, tokens);
    }
    return systems.map((system, s) => {
      const miner = new TemplateMiner(point);
      const ids = (tokens[s] as MessageTokens[]).map((t) => miner.addTokens(t).clusterId);
      return groupingAccuracy(
        ids.map((id) => miner.resolve(id)),
        system.truth,
      );
    });
  });
}

/** Index of the point with the best mean GA over `systems` (columns of `scores`); ties → first. */
export function choosePoint(scores: readonly (readonly number[])[], systems: readonly number[]): number {
  let best = 0;
  let bestMean = Number.NEGATIVE_INFINITY;
  scores.forEach((row, index) => {
    const mean = systems.reduce((sum, s) => sum + (row[s] as number), 0) / systems.length;
    // A strictly better mean (beyond float noise) is needed to leave an earlier point.
    if (mean > bestMean + 1e-12) {
      best = index;
      bestMean = mean;
    }
  });
  return best;
}

/** For each system (column of `scores`), the point chosen on all the other systems. */
export function leaveOneOutChoices(scores: readonly (readonly number[])[]): number[] {
  const count = scores[0]?.length ?? 0;
  const all = Array.from({ length: count }, (_, i) => i);
  return all.map((held) =>
    choosePoint(
      scores,
      all.filter((i) => i !== held),
    ),
  );
}

export interface LeaveOneOutResult {
  points: MinerParameters[];
  systems: string[];
  /** scores[point][system] */
  scores: number[][];
  /** Per held-out system: the point chosen on the other 7 and its GA on the held-out one. */
  heldOut: { system: string; point: number; ga: number }[];
  /** The point chosen on all systems (the shipped default). */
  chosenOnAll: number;
}

/** Scores every grid point on every system, then runs the leave-one-system-out selection. */
export async function leaveOneSystemOut(
  systemNames = Object.keys(DRAIN_PUBLISHED_GA),
  points = gridPoints(),
  root = loghubRoot(),
): Promise<LeaveOneOutResult> {
  const systems = await Promise.all(systemNames.map((name) => loadLoghubSystem(name, root)));
  const scores = scoreGrid(systems, points);
  const heldOut = leaveOneOutChoices(scores).map((point, s) => ({
    system: systemNames[s] as string,
    point,
    ga: scores[point]?.[s] as number,
  }));
  const chosenOnAll = choosePoint(
    scores,
    systems.map((_, i) => i),
  );
  // The chosen points again through `llmops logs parse`'s own path: the shortcut must agree.
  for (const point of new Set([...heldOut.map((row) => row.point), chosenOnAll]))
    systems.forEach((system, s) => {
      const direct = scoreSystem(system, points[point] as MinerParameters);
      if (Math.abs(direct - (scores[point]?.[s] as number)) > 1e-12)
        throw new Error(`${system.name}: grid score ${scores[point]?.[s]} but logs parse path ${direct}`);
    });
  return { points, systems: systemNames, scores, heldOut, chosenOnAll };
}

export function describePoint(point: MinerParameters): string {
  return (Object.keys(point) as (keyof MinerParameters)[]).map((key) => `${key}=${point[key]}`).join(' ');
}

/** Prints the leave-one-system-out table beside Drain's published GA, and how the default was chosen. */
export async function benchLoghubLeaveOneOut(): Promise<void> {
  const start = performance.now();
  const result = await leaveOneSystemOut();
  const seconds = (performance.now() - start) / 1000;
  console.log('\nLoghub-2k grouping accuracy, leave one system out (parameters chosen on the other 7)');
  console.log(
    `grid: ${(Object.keys(PARAMETER_SPACE) as (keyof MinerParameters)[])
      .map((key) => `${key} ∈ {${PARAMETER_SPACE[key].join(', ')}}`)
      .join('; ')}`,
  );
  console.log(
    `${result.points.length} points × ${result.systems.length} systems in ${seconds.toFixed(1)} s; objective: mean GA of the 7; ties → first point in declared order`,
  );
  console.log('held out    LOSO    Drain   chosen on the other 7');
  let ours = 0;
  let drain = 0;
  for (const row of result.heldOut) {
    const published = DRAIN_PUBLISHED_GA[row.system] ?? 0;
    ours += row.ga;
    drain += published;
    console.log(
      `${row.system.padEnd(10)}  ${row.ga.toFixed(4)}  ${published.toFixed(4)}  ${describePoint(result.points[row.point] as MinerParameters)}${row.ga >= published ? '' : '  (below Drain)'}`,
    );
  }
  const n = result.heldOut.length;
  console.log(`${'mean'.padEnd(10)}  ${(ours / n).toFixed(4)}  ${(drain / n).toFixed(4)}`);
  const chosen = result.points[result.chosenOnAll] as MinerParameters;
  const shipped = (Object.keys(chosen) as (keyof MinerParameters)[]).every(
    (key) => chosen[key] === DEFAULT_MINER_PARAMETERS[key],
  );
  console.log(
    `chosen on all 8 (the shipped default): ${describePoint(chosen)}; mean GA ${(
      result.systems.reduce((sum, _, s) => sum + (result.scores[result.chosenOnAll]?.[s] as number), 0) / n
    ).toFixed(4)}${shipped ? ' = DEFAULT_MINER_PARAMETERS' : ' — DIFFERS from DEFAULT_MINER_PARAMETERS'}`,
  );
}
