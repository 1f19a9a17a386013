import { compareWithLive, LOAD_LEVELS, liveCapacity, NEAR_SATURATION, rateAt } from '../src/demo/backfill-fidelity.ts';
import { DEMO_DEPLOYMENTS } from '../src/demo/demo-fleet.ts';
import type { WindowStatistics } from '../src/demo/window-statistics.ts';

const COLUMNS: Array<[string, (s: WindowStatistics) => number, 'ms' | 'x']> = [
  ['TTFT p50', (s) => s.ttft.p50, 'ms'],
  ['TTFT p95', (s) => s.ttft.p95, 'ms'],
  ['ITL p50', (s) => s.itl.p50, 'ms'],
  ['ITL p95', (s) => s.itl.p95, 'ms'],
  ['E2E p50', (s) => s.e2e.p50, 'ms'],
  ['E2E p95', (s) => s.e2e.p95, 'ms'],
  ['running', (s) => s.running, 'x'],
  ['KV use %', (s) => s.kvUsage * 100, 'x'],
];

/**
 * The demo's back-filled history against its live servers: each demo deployment at three
 * constant loads, the live engine driven in virtual time and the back-fill's model at the same
 * rate, both read as `histogram_quantile` over the same window of scrapes. Prints live /
 * back-fill and the relative difference per quantile and gauge, and the back-fill's time.
 */
export async function benchBackfillFidelity(): Promise<void> {
  console.log(
    `\nDemo back-fill vs live engine (virtual time, a constant rate for 20,000 requests or at least 1 h, 15 s scrapes; near saturation = ${NEAR_SATURATION * 100}% of the live engine's capacity)`,
  );
  console.log(`deployment   load             req/s   ${COLUMNS.map(([name]) => name.padStart(17)).join(' ')}`);
  let worst = 0;
  for (const deployment of DEMO_DEPLOYMENTS) {
    let capacity: number | undefined;
    const capacityOf = () => {
      capacity ??= liveCapacity(deployment);
      return capacity;
    };
    for (const level of LOAD_LEVELS) {
      const rate = rateAt(deployment, level, capacityOf);
      const seconds = Math.round(Math.max(3600, 20_000 / rate) / 15) * 15;
      const { live, backfill } = compareWithLive(deployment, rate, { seconds, intervalSeconds: 15, seed: 5 });
      const cells = COLUMNS.map(([, read, unit]) => {
        const a = read(live);
        const b = read(backfill);
        const error = Math.abs(b - a) / Math.max(Math.abs(a), 1e-9);
        worst = Math.max(worst, error);
        const format = (x: number) => (unit === 'ms' ? (x * 1000).toFixed(x < 1 ? 1 : 0) : x.toFixed(2));
        return `${format(a)}/${format(b)} ${(error * 100).toFixed(0).padStart(3)}%`.padStart(17);
      });
      console.log(`${deployment.name.padEnd(12)} ${level.padEnd(16)} ${rate.toFixed(2).padStart(5)}   ${cells.join(' ')}`);
    }
    if (capacity !== undefined) console.log(`${''.padEnd(12)} (live capacity ${capacity.toFixed(2)} req/s)`);
  }
  console.log(`cells: live/back-fill relative difference; worst ${(worst * 100).toFixed(0)}%`);
}
