import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_SEEDS, evaluateSeeds, range, summarise, TEST_SEEDS } from '../bench/rca-scenarios/evaluate.ts';
import { SCENARIO_KINDS } from '../bench/rca-scenarios/incident-types.ts';
import { generateScenario } from '../bench/rca-scenarios/scenario.ts';
import { writeScenario } from '../bench/rca-scenarios/write.ts';
import { readEventsFile, readLogFile, readMetricsDir } from '../src/analysis/rca/rca-files.ts';
import { runRcaCommand } from '../src/cli/rca-command.ts';

describe('the root-cause scenario generator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-rca-gen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same files for the same seed, and every kind in any seven consecutive seeds', () => {
    expect(JSON.stringify(generateScenario(12).files)).toBe(JSON.stringify(generateScenario(12).files));
    expect(JSON.stringify(generateScenario(12).files)).not.toBe(JSON.stringify(generateScenario(13).files));
    expect(new Set(range(8, 14).map((seed) => generateScenario(seed).kind))).toEqual(new Set(SCENARIO_KINDS));
  });

  it('keeps the held-out seeds apart from the development seeds', () => {
    expect(TEST_SEEDS.length).toBeGreaterThanOrEqual(100);
    expect(TEST_SEEDS.some((seed) => DEV_SEEDS.includes(seed))).toBe(false);
  });

  it('writes what llmops rca reads: query_range files, a timed log, events naming the truth', async () => {
    for (const seed of range(1, 7)) {
      const scenario = generateScenario(seed);
      const paths = await writeScenario(scenario, join(dir, String(seed)));
      const { series } = await readMetricsDir(paths.metrics);
      expect(series.some((s) => s.deployment === scenario.deployment)).toBe(true);
      if (paths.logs) expect((await readLogFile(paths.logs)).lines.length).toBeGreaterThan(0);
      const events = paths.events ? await readEventsFile(paths.events) : [];
      for (const id of scenario.truth.eventIds) expect(events.map((e) => e.id)).toContain(id);
    }
  });

  it('is solved by the engine on the first development seeds (two of each kind)', async () => {
    const outcomes = (await evaluateSeeds(range(1, 14), { current: runRcaCommand })).current ?? [];
    const summary = summarise(outcomes);
    expect(summary.errors).toBe(0);
    expect(summary.right, JSON.stringify(summary.confusion)).toBeGreaterThanOrEqual(13);
  }, 120_000);
});
