import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  choosePoint,
  gridPoints,
  leaveOneOutChoices,
  leaveOneSystemOut,
  loadLoghubSystem,
  PARAMETER_SPACE,
  scoreSystem,
} from '../bench/loghub-loso.ts';
import { DEFAULT_MINER_PARAMETERS } from '../src/analysis/logs/index.ts';

// The in-repo Loghub sample (every tenth line of each system); the full protocol is benched.
const SAMPLE = fileURLToPath(new URL('./fixtures/loghub/', import.meta.url));

describe('leave-one-system-out protocol for the log miner', () => {
  it('enumerates the declared grid in order, the first value of every parameter first', () => {
    const points = gridPoints();
    const size = Object.values(PARAMETER_SPACE).reduce((n, values) => n * values.length, 1);
    expect(points).toHaveLength(size);
    expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(size);
    expect(points[0]).toEqual(Object.fromEntries(Object.entries(PARAMETER_SPACE).map(([key, values]) => [key, values[0]])));
  });

  it('ships a default that is a point of the grid', () => {
    expect(gridPoints().some((p) => JSON.stringify(p) === JSON.stringify(DEFAULT_MINER_PARAMETERS))).toBe(true);
  });

  it('chooses by the mean over the given systems only, ties going to the earlier point', () => {
    // scores[point][system]
    const scores = [
      [0.9, 0.9, 0.1],
      [0.8, 0.8, 1.0],
      [0.9, 0.9, 0.1],
    ];
    expect(choosePoint(scores, [0, 1])).toBe(0);
    expect(choosePoint(scores, [0, 1, 2])).toBe(1);
    // System 2 alone would want point 1, but held out it gets what systems 0 and 1 chose.
    expect(leaveOneOutChoices(scores)).toEqual([1, 1, 0]);
  });

  it('scores each held-out system with the point chosen on the others, through the logs parse path', async () => {
    const points = gridPoints({
      ...PARAMETER_SPACE,
      similarity: [0.7, 1],
      depth: [4],
      mergeDistinct: [0, 3],
      attachedColonValues: [true],
      dottedNames: [true],
      quotedValues: [false],
      collapseRuns: [true],
    });
    const systems = ['Proxifier', 'OpenSSH', 'Apache'];
    const result = await leaveOneSystemOut(systems, points, SAMPLE);
    expect(result.scores).toHaveLength(4);
    expect(result.heldOut.map((row) => row.system)).toEqual(systems);
    const choices = leaveOneOutChoices(result.scores);
    for (const [s, row] of result.heldOut.entries()) {
      expect(row.point).toBe(choices[s]);
      const system = await loadLoghubSystem(row.system, SAMPLE);
      expect(row.ga).toBe(scoreSystem(system, points[row.point] as (typeof points)[number]));
    }
  });
});
