import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from '../src/conversation/concurrency-limiter.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    while (started.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect(limiter.state).toEqual({ active: 2, waiting: 2 });
    gates[1]?.resolve();
    while (started.length < 3) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it('awaits `ready` once a task has its slot, before it starts', async () => {
    const ready = deferred();
    const limiter = new ConcurrencyLimiter(4, { ready: () => ready.promise });
    let ran = false;
    const run = limiter.run(async () => {
      ran = true;
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toBe(false);
    expect(limiter.state).toEqual({ active: 1, waiting: 0 });
    ready.resolve();
    await run;
    expect(ran).toBe(true);
  });

  it('frees the slot of a task that failed, and says when nothing runs or waits', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const failing = limiter.run(async () => {
      throw new Error('tool failed');
    });
    const next = limiter.run(async () => 'next');
    let idle = false;
    const whenIdle = limiter.idle().then(() => {
      idle = true;
    });
    await expect(failing).rejects.toThrow('tool failed');
    expect(await next).toBe('next');
    await whenIdle;
    expect(idle).toBe(true);
    expect(limiter.state).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow('concurrency limit must be a whole number >= 1, got 0');
    expect(() => new ConcurrencyLimiter(1.5)).toThrow(RangeError);
  });
});
