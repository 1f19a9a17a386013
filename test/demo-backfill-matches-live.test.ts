import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithLive, LOAD_LEVELS, liveCapacity, rateAt } from '../src/demo/backfill-fidelity.ts';
import { DEMO_DEPLOYMENTS } from '../src/demo/demo-fleet.ts';
import { VirtualClock } from '../src/demo/engine-clock.ts';
import { effectsOf } from '../src/demo/faults.ts';
import { backfillHistory } from '../src/demo/history-backfill.ts';
import { DeploymentHistoryModel } from '../src/demo/history-model.ts';
import { ServerLog } from '../src/demo/server-log.ts';
import { runVirtualLoad } from '../src/demo/virtual-load.ts';
import { VllmMetrics } from '../src/demo/vllm-metrics.ts';
import { WindowRecorder, type WindowStatistics } from '../src/demo/window-statistics.ts';
import { MetricStore } from '../src/metrics/embedded/metric-store.ts';
import { Random } from '../src/random/seeded-random.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { openDatabase } from '../src/store/database.ts';

/** What the root-cause engine and a person read: latency quantiles and the running gauges. */
const READ: Array<[string, (s: WindowStatistics) => number]> = [
  ['TTFT p50', (s) => s.ttft.p50],
  ['TTFT p95', (s) => s.ttft.p95],
  ['ITL p50', (s) => s.itl.p50],
  ['ITL p95', (s) => s.itl.p95],
  ['E2E p50', (s) => s.e2e.p50],
  ['E2E p95', (s) => s.e2e.p95],
  ['running', (s) => s.running],
  ['KV use', (s) => s.kvUsage],
];

function differences(live: WindowStatistics, backfill: WindowStatistics): Record<string, number> {
  return Object.fromEntries(
    READ.map(([name, read]) => [name, Math.round((Math.abs(read(backfill) - read(live)) / read(live)) * 100) / 100]),
  );
}

describe('the back-filled history matches the live servers it continues', () => {
  for (const deployment of DEMO_DEPLOYMENTS) {
    for (const level of LOAD_LEVELS) {
      it(`${deployment.name} at ${level}: quantiles and gauges within 15% of the live engine's`, () => {
        const rate = rateAt(deployment, level, () => liveCapacity(deployment));
        // Enough requests for stable quantiles; near saturation, queueing comes in long episodes, so hours.
        const seconds = level === 'near saturation' ? 4 * 3600 : Math.round(Math.max(1800, 10_000 / rate) / 15) * 15;
        const { live, backfill } = compareWithLive(deployment, rate, { seconds, intervalSeconds: 15, seed: 1 });
        const off = differences(live, backfill);
        for (const [name, difference] of Object.entries(off)) {
          // Near saturation, the live TTFT p95 of a 4 h window itself moves by ~20% from seed to seed.
          const tolerance = level === 'near saturation' && name === 'TTFT p95' ? 0.3 : 0.15;
          expect(difference, `${name}: ${JSON.stringify(off)}`).toBeLessThanOrEqual(tolerance);
        }
      });
    }
  }

  it('a rate past capacity builds a queue in the history as fast as it does live, and TTFT grows with it', () => {
    const deployment = DEMO_DEPLOYMENTS.find((d) => d.name === 'mistral-7b') ?? DEMO_DEPLOYMENTS[0];
    if (!deployment) throw new Error('no demo deployment');
    const rate = 1.3 * liveCapacity(deployment);
    const seconds = 600;
    let liveWaiting = 0;
    const live = new WindowRecorder();
    runVirtualLoad({ deployment, rate, warmUpSeconds: 0, seconds, intervalSeconds: 15, seed: 2 }, (metrics) => {
      live.add(metrics);
      liveWaiting = metrics.snapshot().get('vllm:num_requests_waiting{engine="0",model_name="mistral-7b"}') ?? 0;
    });
    const model = new DeploymentHistoryModel(deployment, 2);
    const metrics = new VllmMetrics(deployment.name);
    const random = new Random(2);
    const backfill = new WindowRecorder();
    backfill.add(metrics);
    let state = { waiting: 0 };
    for (let t = 15; t <= seconds; t += 15) {
      state = model.interval(metrics, random, rate, effectsOf([]), 15);
      backfill.add(metrics);
    }
    // 30% more than the engine serves piles up: about 0.3 × capacity × 600 s.
    expect(liveWaiting).toBeGreaterThan(500);
    expect(Math.abs(state.waiting - liveWaiting) / liveWaiting).toBeLessThan(0.15);
    const [a, b] = [live.statistics(), backfill.statistics()];
    expect(a.ttft.p50).toBeGreaterThan(30);
    expect(Math.abs(b.ttft.p50 - a.ttft.p50) / a.ttft.p50).toBeLessThan(0.15);
    expect(Math.abs(b.ttft.p95 - a.ttft.p95) / a.ttft.p95).toBeLessThan(0.15);
  });

  it('writes the same history for the same seed, and another for another seed', () => {
    const write = (seed: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'llmops-backfill-'));
      const db = openDatabase(dir);
      try {
        const store = new MetricStore(db);
        backfillHistory({
          store,
          changes: new ChangeEventRepository(db),
          deployments: DEMO_DEPLOYMENTS.slice(1, 2).map((deployment) => ({
            deployment,
            log: new ServerLog(join(dir, `${deployment.name}.log`)),
          })),
          days: 1,
          intervalSeconds: 60,
          seed,
          now: new Date('2026-11-30T15:00:00Z'),
        });
        const [target] = store.targets();
        if (!target) throw new Error('no target written');
        const samples = store.read(target, 0, Number.MAX_SAFE_INTEGER, (key) => key.startsWith('vllm:time_to_first_token'));
        return [...samples.series.values()].map((values) => Array.from(values).join(',')).join(';');
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const first = write(7);
    expect(first.length).toBeGreaterThan(1000);
    expect(write(7)).toBe(first);
    expect(write(8)).not.toBe(first);
  });
});

describe('virtual time', () => {
  it('fires timers in due order (ties in the order set), skips cleared ones and ends where asked', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`c@${clock.now()}`), 10);
    }, 10);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    const cleared = clock.setTimeout(() => fired.push('never'), 15);
    clock.clearTimeout(cleared);
    clock.advance(19);
    expect(fired).toEqual(['a@10']);
    expect(clock.now()).toBe(19);
    clock.advance(100);
    expect(fired).toEqual(['a@10', 'b@20', 'b2@20', 'c@20']);
    expect(clock.now()).toBe(119);
  });
});
