import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pastIncident } from '../src/demo/history-backfill.ts';
import { simulatedTimeScale } from './support/simulated-time.ts';
import { testAssistant } from './support/test-assistant.ts';

// The demo fleet's back-filled history holds a known incident: mistral-7b 2.5× slower for
// 47 minutes three days ago from 14:00. The tools must find it, and forecast the rhythm.
// The capacity probe load-tests a demo server: it runs 4 times faster than real time (the load
// tester reports in its time). The tests only read the assistant, so they run at once.
simulatedTimeScale(4);
let assistant: Awaited<ReturnType<typeof testAssistant>>;
const now = new Date();
const incident = pastIncident(now);
const context = { threadId: 't', userId: 'U0ALICE', now };

beforeAll(async () => {
  assistant = await testAssistant({ DEMO: 'on' }, { demoTraffic: false });
}, 60_000);
afterAll(async () => {
  await assistant?.dispose();
});

describe.concurrent('detect_anomalies', () => {
  it('finds the past bad deploy of mistral-7b: latency up, starting when it started, with a chart', async ({ expect }) => {
    const range = `${new Date(incident.start.getTime() - 3 * 3600_000).toISOString()}/${new Date(incident.end.getTime() + 3 * 3600_000).toISOString()}`;
    const result = await assistant.executor.execute('detect_anomalies', { deployment: 'mistral-7b', range }, context);
    expect(result.status).toBe('ok');
    const data = (
      result as {
        data: { intervals: Array<{ kind: string; direction: string; start: number; size: { ratio: number } }>; chart: string };
      }
    ).data;
    const tpot = data.intervals.find((i) => i.kind === 'tpot');
    expect(tpot?.direction).toBe('up');
    expect(Math.abs((tpot?.start ?? 0) - incident.start.getTime())).toBeLessThanOrEqual(5 * 60_000);
    expect(tpot?.size.ratio).toBeGreaterThan(2);
    // A bad deploy makes every step 2.5× longer; the batch grows with it, so p95 rises more (the live engine: ~3.5×).
    expect(result.summary).toMatch(/time per output token of mistral-7b up [2-4]\.\d×/);
    expect(existsSync(data.chart)).toBe(true);
  });

  it('finds nothing in a quiet deployment over a quiet day', async ({ expect }) => {
    const start = new Date(incident.start.getTime() + 86_400_000);
    const range = `${start.toISOString()}/${new Date(start.getTime() + 6 * 3600_000).toISOString()}`;
    const result = await assistant.executor.execute(
      'detect_anomalies',
      { deployment: 'llama-3-8b', metric: 'tpot', range },
      context,
    );
    expect(result.summary).toMatch(/^No anomalies in llama-3-8b over /);
  });
});

describe.concurrent('forecast_metrics', () => {
  it("forecasts next week's traffic with intervals, from the daily and weekly rhythm", async ({ expect }) => {
    const result = await assistant.executor.execute('forecast_metrics', { deployment: 'llama-3-8b', horizon: '2d' }, context);
    expect(result.status).toBe('ok');
    const data = (result as { data: { model: string; points: Array<{ mean: number; lo95: number; hi95: number }> } }).data;
    expect(data.points).toHaveLength(48);
    for (const p of data.points) expect(p.lo95).toBeLessThanOrEqual(p.hi95);
    // The demo's peak is 3 req/s at 16:00 on weekdays (55 % of that at weekends) and its trough a quarter of the peak at 04:00.
    const means = data.points.map((p) => p.mean);
    expect(Math.max(...means) / Math.max(Math.min(...means), 0.01)).toBeGreaterThan(2);
    expect(Math.max(...means)).toBeGreaterThan(0.8);
    expect(Math.max(...means)).toBeLessThan(4);
    expect(result.summary).toMatch(/^Forecast of requests per second for llama-3-8b over the next 2d: peak /);
  });

  it('turns the forecast peak into replicas and GPUs from a measured probe', async ({ expect }) => {
    const result = await assistant.executor.execute(
      'forecast_metrics',
      { deployment: 'llama-3-8b', horizon: '1d', capacity: true },
      context,
    );
    expect(result.summary).toMatch(
      /Capacity: the 95 % upper peak of [\d.]+ req\/s needs \d+ replicas? \(\d+ × A100-80GB\) at 70 % utilisation, since a probe measured [\d.]+ req\/s per replica/,
    );
  }, 60_000);
});
