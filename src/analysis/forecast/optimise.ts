/** Derivative-free minimiser on the unit box, for fitting smoothing parameters by in-sample SSE. */

/**
 * Minimises `objective` over [0, 1]^d: the best point of a coarse grid, then a coordinate pattern
 * search whose step halves whenever no coordinate move improves (down to `tolerance`). The SSE
 * surfaces of exponential smoothing are smooth and low-dimensional, so this finds the optimum
 * reliably without gradients.
 */
export function minimiseOnUnitBox(
  objective: (x: readonly number[]) => number,
  grid: readonly (readonly number[])[],
  tolerance = 1e-3,
): { x: number[]; value: number } {
  let best: number[] = grid.map((axis) => axis[0] as number);
  let bestValue = Number.POSITIVE_INFINITY;
  const visit = (axis: number, point: number[]): void => {
    if (axis === grid.length) {
      const value = objective(point);
      if (value < bestValue) {
        bestValue = value;
        best = [...point];
      }
      return;
    }
    for (const v of grid[axis] as readonly number[]) {
      point[axis] = v;
      visit(axis + 1, point);
    }
  };
  visit(0, [...best]);
  let step = 0.1;
  while (step >= tolerance) {
    let improved = false;
    for (let axis = 0; axis < best.length; axis++) {
      for (const direction of [1, -1]) {
        const trial = [...best];
        trial[axis] = Math.min(1, Math.max(0, (trial[axis] as number) + direction * step));
        if (trial[axis] === best[axis]) continue;
        const value = objective(trial);
        if (value < bestValue) {
          bestValue = value;
          best = trial;
          improved = true;
          break;
        }
      }
    }
    if (!improved) step /= 2;
  }
  return { x: best, value: bestValue };
}
