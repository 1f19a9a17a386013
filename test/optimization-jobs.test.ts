import { describe, it } from 'vitest';
import { JobRepository } from '../src/jobs/job-repository.ts';
import { progressBar } from '../src/jobs/progress-bar.ts';
import { renderTable } from '../src/optimization/tune-job.ts';
import { ask, demoWithJobMessages } from './support/job-assistant.ts';
import { simulatedTimeScale } from './support/simulated-time.ts';
import { waitUntil } from './support/wait-until.ts';

// The comparisons load-test simulated servers and their assertions compare the two sides (faster,
// smaller, the same GPUs), so the servers run 4 times faster than real time (the load tester
// reports in their time). Child processes inherit this. The compression command itself keeps
// real time: its progress must last past the job runner's 2 s between edits to be seen.
simulatedTimeScale(4);

// The two comparisons one after the other: each measures speed, and a load test of the other in the
// same process would take its CPU.
describe('compression jobs, compared with their baseline', () => {
  it('quantizes mistral-7b on the demo fleet: proposal, approval, progress in the thread, staging deploy, comparison', async (test) => {
    const { expect } = test;
    const { assistant, edits } = await demoWithJobMessages(test);
    const reply = await ask(assistant, 'quantize mistral-7b to awq');
    const run = reply.toolRuns[0];
    expect(run?.tool).toBe('start_optimization');
    expect(run?.result.status, reply.text).toBe('proposal');
    expect(reply.text).toContain('Quantize mistral-7b (mistral-7b, bf16) to awq as a local job');
    expect(reply.text).toContain('run-compression.ts quantize --model mistral-7b --method awq --output');

    const proposalId = (run as { result: { proposalId: number } }).result.proposalId;
    const decided = await assistant.approvals.decide({ proposalId, decision: 'approve', userId: 'U0MLP' });
    expect(decided.text).toMatch(/Job 1 started: quantize mistral-7b/);

    const job = await assistant.jobs.wait(1);
    expect(job.state, job.error).toBe('succeeded');
    // One message per job, edited as it goes: a progress bar while running, the report at the end.
    expect(new Set(edits.map((e) => e.key))).toEqual(new Set(['job-1']));
    expect(
      edits.some((e) => /^Job 1 \(quantize mistral-7b, staging\): \[█+░*\] \d+% quantize: Calibrating: \d+%/.test(e.text)),
    ).toBe(true);
    const last = edits.at(-1);
    expect(last?.final).toBe(true);
    expect(last?.text).toContain('Job 1 (quantize mistral-7b, staging) finished: mistral-7b-awq against mistral-7b:');
    expect(last?.text).toMatch(/weights\s+13\.5 GiB\s+3\.\d GiB \(-7\d%, better\)/);
    expect(last?.text).toMatch(/throughput\s+\d+ tokens\/s\s+\d+ tokens\/s \(\+\d+%, better\)/);
    expect(last?.text).toMatch(/accuracy\s+9\d% \(1\d\/20\)\s+\d+% \(\d+\/20\)/);
    // The candidate really serves in staging next to the baseline.
    expect(assistant.deployments.names()).toContain('mistral-7b-awq');
    const status = await ask(assistant, 'status of job 1');
    expect(status.toolRuns[0]?.tool).toBe('get_job_status');
    expect(status.text).toContain('finished');
  }, 120_000);

  it('distills into a student, deploys it next to the teacher and compares them', async (test) => {
    const { expect } = test;
    const { assistant, edits } = await demoWithJobMessages(test);
    const reply = await ask(assistant, 'distill qwen2-7b into phi-3-mini in dev');
    expect(reply.toolRuns[0]?.args).toMatchObject({ kind: 'distill', deployment: 'qwen2-7b', student: 'phi-3-mini' });
    const job = await assistant.jobs.wait(1);
    expect(job.state, job.error).toBe('succeeded');
    const text = edits.at(-1)?.text ?? '';
    expect(text).toContain('qwen2-7b-distilled-phi-3-mini against qwen2-7b:');
    expect(text).toMatch(/weights\s+7\.1 GiB\s+3\.\d GiB/);
    expect(text).toMatch(/GPUs\s+1 × L4\s+\d × L4/); // the same GPU type; as many as the student needs
    expect(assistant.deployments.names()).toContain('qwen2-7b-distilled-phi-3-mini');
  }, 120_000);
});

// Each test has its own assistant, fleet and data folder, and mostly waits on processes: they run at once.
describe.concurrent('optimisation jobs', () => {
  it('reports a failed job with its last log lines', async (test) => {
    const { expect } = test;
    const failing = `${process.execPath} -e console.log("loading_weights");console.error("torch.OutOfMemoryError:_CUDA_out_of_memory");process.exit(3) {output}`;
    const { assistant, edits } = await demoWithJobMessages(test, { QUANTIZE_COMMAND: failing });
    const reply = await ask(assistant, 'quantize qwen2-7b to awq in dev');
    expect(reply.toolRuns[0]?.result.status, reply.text).toBe('ok'); // dev: no approval needed
    const job = await assistant.jobs.wait(1);
    expect(job.state).toBe('failed');
    expect(job.error).toContain('the quantize command failed: exit code 3');
    const last = edits.at(-1)?.text ?? '';
    expect(last).toContain('Job 1 (quantize qwen2-7b, dev) FAILED');
    expect(last).toContain('torch.OutOfMemoryError:_CUDA_out_of_memory');
  }, 60_000);

  it('cancels a running job: the command is stopped and the thread told who cancelled it', async (test) => {
    const { expect } = test;
    const slow = `${process.execPath} -e setInterval(()=>console.log("step"),100) {output}`;
    const { assistant, edits } = await demoWithJobMessages(test, { QUANTIZE_COMMAND: slow });
    await ask(assistant, 'quantize qwen2-7b to gptq in dev');
    const jobs = new JobRepository(assistant.db);
    await waitUntil(
      'job 1 to run and its command to print',
      () => jobs.get(1)?.state === 'running' && jobs.tail(1).includes('step'),
    );
    expect((await ask(assistant, 'status of job 1')).text).toMatch(/^Job 1 \(quantize qwen2-7b, dev\): \[[█░]+\] \d+%/);
    const cancel = await ask(assistant, 'cancel job 1', 'U0BOB');
    expect(cancel.toolRuns[0]?.result.status, cancel.text).toBe('ok');
    const job = await assistant.jobs.wait(1);
    expect(job.state).toBe('cancelled');
    expect(job.cancelledBy).toBe('U0BOB');
    expect(edits.at(-1)?.text).toMatch(/^Job 1 \(quantize qwen2-7b, dev\) was cancelled by U0BOB/);
    const again = await ask(assistant, 'cancel job 1', 'U0BOB');
    expect(again.text).toContain('Job 1 already cancelled; nothing to cancel.');
    const counted = await assistant.metrics.jobs.get();
    expect(counted.values.map((v) => [v.labels.kind, v.labels.state, v.value])).toEqual([['quantize', 'cancelled', 1]]);
  }, 60_000);

  it('warns instead of quantising a model to a precision it already runs in, or a larger one', async (test) => {
    const { expect } = test;
    const { assistant } = await demoWithJobMessages(test);
    // qwen2-7b runs in fp8 on the demo fleet.
    for (const method of ['fp8', 'int8']) {
      const reply = await ask(assistant, `quantize qwen2-7b to ${method} in dev`);
      expect(reply.toolRuns[0]?.result.status, reply.text).toBe('error');
      expect(reply.text).toContain(
        `qwen2-7b already runs in fp8 (8 bits per weight); quantising it to ${method} would not make it smaller${method === 'fp8' ? ', only deploy a copy' : ''}. Smaller options: awq, gptq.`,
      );
    }
    expect(new JobRepository(assistant.db).recent()).toEqual([]);
  }, 60_000);

  it('lists every trial in the trade-off table, the current config first, then best first', ({ expect }) => {
    const row = (trial: number, value: number | null) => ({
      trial,
      config: { max_num_seqs: 16 * (trial + 1), max_num_batched_tokens: 4096, tensor_parallel_size: 1, quantization: 'bf16' },
      value,
      tokensPerSecond: value,
      p95TtftMs: 300,
      p95TpotMs: 40,
      usdPerMillionTokens: 1.5,
      feasible: value !== null,
      note: '',
      at: trial,
    });
    const rows = [row(0, 900), ...Array.from({ length: 24 }, (_, i) => row(i + 1, i % 5 === 4 ? null : 1000 + ((i * 37) % 500)))];
    const lines = renderTable(rows, 'throughput').split('\n').slice(2);
    expect(lines).toHaveLength(25);
    expect(lines[0]).toMatch(/^now\s+16\s/);
    const trials = lines.slice(1).map((l) => Number(l.split(/\s+/)[0]));
    expect([...trials].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const values = lines.slice(1, 20).map((l) => Number(l.split(/\s+/)[5]));
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it('draws a progress bar', ({ expect }) => {
    expect(progressBar(0)).toBe('[░░░░░░░░░░░░░░░░] 0%');
    expect(progressBar(0.5)).toBe('[████████░░░░░░░░] 50%');
    expect(progressBar(2)).toBe('[████████████████] 100%');
  });
});
