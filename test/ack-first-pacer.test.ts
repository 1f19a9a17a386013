import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckFirstPacer } from '../src/chat/slack/ack-first-pacer.ts';

// The pacer's decisions on a fake clock: when work may go on, given the receiver's requests.
describe('AckFirstPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const pacer = () => new AckFirstPacer({ quietMs: 20, maxWaitMs: 1000, now: () => Date.now() });
  const track = (promise: Promise<void>) => {
    const state = { done: false, at: Number.NaN };
    void promise.then(() => {
      state.done = true;
      state.at = Date.now();
    });
    return state;
  };

  it('lets work go on at once when no request came', async () => {
    const p = pacer();
    const work = track(p.quiet());
    await vi.advanceTimersByTimeAsync(1);
    expect(work.done).toBe(true);
  });

  it('holds work while a request waits for its acknowledgement, and releases it once the receiver is quiet', async () => {
    const p = pacer();
    p.requestStarted();
    const work = track(p.quiet());
    await vi.advanceTimersByTimeAsync(500);
    expect(work.done).toBe(false);
    const settledAt = Date.now();
    p.requestSettled();
    // The pacer looks again at most a quiet period (20 ms here) later, then confirms over two loop turns.
    await vi.advanceTimersByTimeAsync(30);
    expect(work.done).toBe(true);
    expect(work.at - settledAt).toBeLessThanOrEqual(25);
  });

  it('does not wait forever on a request that is never answered', async () => {
    const p = pacer();
    p.requestStarted();
    const work = track(p.quiet());
    await vi.advanceTimersByTimeAsync(1100);
    expect(work.done).toBe(true);
    expect(p.state).toEqual({ waiting: 0, inFlight: 1 });
  });

  it('waits out a burst: nothing runs until quietMs after its last request', async () => {
    const p = pacer();
    const work = track(p.quiet());
    const burstStart = Date.now();
    for (let i = 0; i < 100; i++) {
      p.requestStarted();
      await vi.advanceTimersByTimeAsync(1);
      p.requestSettled();
      await vi.advanceTimersByTimeAsync(2);
    }
    expect(work.done).toBe(false);
    const lastRequest = Date.now();
    await vi.advanceTimersByTimeAsync(40);
    expect(work.done).toBe(true);
    expect(work.at - lastRequest).toBeGreaterThanOrEqual(18);
    expect(work.at - burstStart).toBeGreaterThan(300);
  });

  it('releases one waiter per look at the receiver, in order: a request arriving after the first release holds the second', async () => {
    const p = pacer();
    const order: number[] = [];
    const first = p.quiet().then(() => {
      order.push(1);
      // The step that ran here coincided with a new request.
      p.requestStarted();
    });
    const second = track(p.quiet().then(() => void order.push(2)));
    await vi.advanceTimersByTimeAsync(200);
    await first;
    expect(order).toEqual([1]);
    expect(second.done).toBe(false);
    p.requestSettled();
    await vi.advanceTimersByTimeAsync(30);
    expect(order).toEqual([1, 2]);
  });

  it('under a steady stream of requests, lets waiting work go on after maxWaitMs, then one step per maxWaitMs / 4', async () => {
    const p = pacer();
    const stream = setInterval(() => {
      p.requestStarted();
      p.requestSettled();
    }, 5);
    await vi.advanceTimersByTimeAsync(50);
    const start = Date.now();
    const works = [track(p.quiet()), track(p.quiet()), track(p.quiet())];
    await vi.advanceTimersByTimeAsync(900);
    expect(works.map((w) => w.done)).toEqual([false, false, false]);
    await vi.advanceTimersByTimeAsync(700);
    clearInterval(stream);
    const [a, b, c] = works as [ReturnType<typeof track>, ReturnType<typeof track>, ReturnType<typeof track>];
    expect(a.at - start).toBeGreaterThanOrEqual(1000);
    expect(a.at - start).toBeLessThan(1100);
    expect(b.at - a.at).toBeGreaterThanOrEqual(250);
    expect(c.at - b.at).toBeGreaterThanOrEqual(250);
  });

  it('does not count time spent behind other work as starvation: a burst shorter than maxWaitMs forces nothing', async () => {
    const p = pacer();
    const work = track(p.quiet());
    // A 5 s step of other work kept the loop (and this waiter) busy; a burst begins just as it ends.
    vi.setSystemTime(Date.now() + 5000);
    for (let i = 0; i < 60; i++) {
      p.requestStarted();
      await vi.advanceTimersByTimeAsync(2);
      p.requestSettled();
      await vi.advanceTimersByTimeAsync(2);
    }
    expect(work.done).toBe(false);
    await vi.advanceTimersByTimeAsync(40);
    expect(work.done).toBe(true);
  });
});
