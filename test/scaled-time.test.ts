import { describe, expect, it } from 'vitest';
import { REAL_CLOCK, ScaledClock } from '../src/demo/engine-clock.ts';
import { simulatedTimeScale } from '../src/demo/time-scale.ts';
import { AppError } from '../src/errors.ts';

describe('scaled engine time', () => {
  it('runs a chain of engine steps faster than real time, each seeing its modelled time, without drifting', async () => {
    const clock = new ScaledClock(50);
    const started = performance.now();
    const seen: number[] = [];
    // 200 steps of 10 engine ms: 2 engine seconds, 40 real ms at this scale (2 s in real time).
    await new Promise<void>((resolve) => {
      const step = () => {
        seen.push(clock.now());
        if (seen.length === 200) resolve();
        else clock.setTimeout(step, 10);
      };
      clock.setTimeout(step, 10);
    });
    expect(seen.map((at) => Math.round((at - (seen[0] as number)) * 1e6) / 1e6)).toEqual(
      Array.from({ length: 200 }, (_, i) => i * 10),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stands still through a stall instead of handing out its steps all at once after it', async () => {
    const clock = new ScaledClock(10);
    const seen: Array<{ engine: number; real: number }> = [];
    // Steps of 20 engine ms (2 real ms); the fifth blocks the process for 60 real ms (600 engine ms).
    await new Promise<void>((resolve) => {
      const step = () => {
        seen.push({ engine: clock.now(), real: performance.now() });
        if (seen.length === 5) for (const until = performance.now() + 60; performance.now() < until; );
        if (seen.length === 30) resolve();
        else clock.setTimeout(step, 20);
      };
      clock.setTimeout(step, 20);
    });
    // Each step still lasts its modelled 20 ms of engine time...
    const engine = seen.map((s) => Math.round((s.engine - (seen[0] as { engine: number }).engine) * 1e6) / 1e6);
    expect(engine).toEqual(Array.from({ length: 30 }, (_, i) => i * 20));
    // ...and after the stall they come one by one again: a few caught up at once, not the 30 the stall was worth.
    const afterStall = seen.slice(5).map((s) => s.real);
    const atOnce = afterStall.filter((real) => real - (afterStall[0] as number) < 1).length;
    expect(atOnce).toBeLessThanOrEqual(4);
  });

  it('fires timers in order of due time, never one cleared, and never goes back in time', async () => {
    const clock = new ScaledClock(100);
    const fired: string[] = [];
    const times: number[] = [];
    const done = new Promise<void>((resolve) => clock.setTimeout(resolve, 300));
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const cleared = clock.setTimeout(() => fired.push('never'), 150);
    clock.clearTimeout(cleared);
    clock.setTimeout(() => fired.push('b2'), 200);
    for (let i = 0; i < 50; i++) times.push(clock.now());
    await done;
    times.push(clock.now());
    expect(fired).toEqual(['a', 'b', 'b2']);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(clock.realTimeScale).toBe(100);
    expect(REAL_CLOCK.realTimeScale).toBe(1);
  });

  it('takes its scale from SIMULATED_TIME_SCALE, real time when unset, and names the variable when it is wrong', () => {
    expect(simulatedTimeScale({})).toBe(1);
    expect(simulatedTimeScale({ SIMULATED_TIME_SCALE: ' ' })).toBe(1);
    expect(simulatedTimeScale({ SIMULATED_TIME_SCALE: '4' })).toBe(4);
    expect(simulatedTimeScale({ SIMULATED_TIME_SCALE: '0.5' })).toBe(0.5);
    for (const wrong of ['fast', '0', '-2', '1e6']) {
      expect(() => simulatedTimeScale({ SIMULATED_TIME_SCALE: wrong })).toThrow(AppError);
      expect(() => simulatedTimeScale({ SIMULATED_TIME_SCALE: wrong })).toThrow(
        `SIMULATED_TIME_SCALE="${wrong}": must be a number above 0 and at most 1000`,
      );
    }
    expect(() => new ScaledClock(0)).toThrow(RangeError);
  });
});
