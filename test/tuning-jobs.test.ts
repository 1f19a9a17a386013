import { describe, it } from 'vitest';
import { ask, demoWithJobMessages } from './support/job-assistant.ts';
import { simulatedTimeScale } from './support/simulated-time.ts';

// Each trial is a simulated server under a load test; the assertions read the table's shape and
// the best trial, so the servers run twice as fast as real time (the load tester reports in their
// time). Not faster: streaming 64 requests' tokens already keeps a CPU busy, and a client that falls
// behind inflates the p95 TTFT the SLO judges.
simulatedTimeScale(2);

describe('tuning jobs', () => {
  it('tunes the serving config: trials deployed and load-tested, trade-off table, chart, and a proposal to apply the best', async (test) => {
    const { expect } = test;
    const { assistant, edits } = await demoWithJobMessages(test);
    const reply = await ask(assistant, 'tune mistral-7b for throughput with 4 trials in dev, genetic');
    expect(reply.toolRuns[0]?.args).toMatchObject({ kind: 'tune', trials: 4, optimizer: 'genetic', environment: 'dev' });
    expect(reply.toolRuns[0]?.result.status, reply.text).toBe('ok');
    const job = await assistant.jobs.wait(1);
    expect(job.state, job.error).toBe('succeeded');
    const text = edits.at(-1)?.text ?? '';
    expect(text).toMatch(
      /^Job 1 \(tune mistral-7b, dev\) finished: Best of 4 trials: max_num_seqs=\d+ max_num_batched_tokens=\d+ tp=\d [a-z0-9]+ → \d+ tokens\/s/,
    );
    expect(text).toMatch(/\ntrial\s+max_num_seqs\s+batched_tokens\s+tp\s+quant\s+tokens\/s/);
    expect(text).toMatch(/\nnow\s+48\s+/); // the current config, measured first
    expect(text).toMatch(/Chart: .*job-1-tuning-trials.*\.png/);
    // Applying the best config is a prod deploy: a proposal someone approves.
    expect(text).toMatch(/To apply it: Proposal 1 awaits approval by group:sre .*Deploy mistral-7b v4-tuned to prod/);
    expect(assistant.approvals.open().map((p) => p.tool)).toEqual(['deploy_model']);
    // Progress went to one message, trial by trial.
    expect(edits.some((e) => /\[█+░*\] \d+% trial \d\/4: max_num_seqs=/.test(e.text))).toBe(true);
  }, 180_000);
});
