import { describe, it, type TestContext } from 'vitest';
import { JobRepository } from '../src/jobs/job-repository.ts';
import { testAssistant } from './support/test-assistant.ts';
import { waitUntil } from './support/wait-until.ts';

type TestAssistant = Awaited<ReturnType<typeof testAssistant>>;

/** An assistant of the test's own, disposed when it ends: the tests run at once. */
async function ownAssistant(test: TestContext, env?: Record<string, string>) {
  const assistant = await testAssistant(env, env ? { demoTraffic: false } : {});
  test.onTestFinished(() => assistant.dispose());
  return assistant;
}

/** Waits until job `id` runs and its command has printed. */
async function running(assistant: TestAssistant, id: number) {
  const jobs = new JobRepository(assistant.db);
  await waitUntil(
    `job ${id} to run and its command to print`,
    () => jobs.get(id)?.state === 'running' && jobs.tail(id).includes('step'),
  );
}

const ask = (assistant: TestAssistant, text: string, threadId = 'slack:C1:200.1', userId = 'U0ALICE') =>
  assistant.conversation.handle({ surface: 'test', threadId, userId, text });

// A job command that runs until cancelled, printing progress.
const SLOW = `${process.execPath} -e setInterval(()=>console.log("step"),100) {output}`;

describe.concurrent('jobs asked about without a number, through the chat', () => {
  it('shows the job this conversation started, then stops it when asked in other words', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test, { DEMO: 'on', DEMO_BACKFILL_DAYS: '0', QUANTIZE_COMMAND: SLOW });
    expect((await ask(assistant, 'quantize qwen2-7b to gptq in dev')).toolRuns[0]?.result.status).toBe('ok');
    await running(assistant, 1);

    const progress = await ask(assistant, "how's the quantization coming along?");
    expect(progress.toolRuns.map((r) => [r.tool, r.args])).toEqual([['get_job_status', {}]]);
    expect(progress.text).toMatch(/^Job 1 \(quantize qwen2-7b, dev\): \[[█░]+\] \d+%/);

    const stop = await ask(assistant, 'kill the quantization run', 'slack:C1:200.1', 'U0BOB');
    expect(stop.toolRuns.map((r) => [r.tool, r.args, r.result.status])).toEqual([['cancel_job', {}, 'ok']]);
    expect(stop.text).toContain('Job 1 (quantize qwen2-7b) is being cancelled');
    const job = await assistant.jobs.wait(1);
    expect(job.state).toBe('cancelled');
    expect(job.cancelledBy).toBe('U0BOB');

    const nothing = await ask(assistant, 'stop the quantization job');
    expect(nothing.text).toContain('No job is queued or running; nothing to cancel.');
  }, 60_000);

  it('asks which job when several run and none belongs to this conversation', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test, { DEMO: 'on', DEMO_BACKFILL_DAYS: '0', QUANTIZE_COMMAND: SLOW });
    await ask(assistant, 'quantize qwen2-7b to gptq in dev', 'slack:C1:300.1');
    await ask(assistant, 'quantize mistral-7b to awq in dev', 'slack:C1:300.2');
    const reply = await ask(assistant, 'abort the quantization job', 'slack:C1:300.3');
    expect(reply.toolRuns[0]?.result.status).toBe('error');
    expect(reply.text).toMatch(/2 jobs are running: job 1 \(quantize qwen2-7b\), job 2 \(quantize mistral-7b\)\. Say which/);
    expect((await ask(assistant, 'abort the mistral-7b quantization', 'slack:C1:300.3')).text).toContain(
      'Job 2 (quantize mistral-7b)',
    );
    await assistant.jobs.wait(2);
    await ask(assistant, 'cancel job 1', 'slack:C1:300.1');
    await assistant.jobs.wait(1);
  }, 60_000);
});

describe.concurrent('the thread is not replayed for a request the planner does not understand (issue 13)', () => {
  it('does not start a second tuning job when asked whether anything is broken', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test, { DEMO: 'on', DEMO_BACKFILL_DAYS: '0', QUANTIZE_COMMAND: SLOW });
    await ask(assistant, 'quantize qwen2-7b to gptq in dev');
    const reply = await ask(assistant, 'is anything broken right now?');
    expect(reply.toolRuns.map((r) => r.tool)).toEqual(['get_deployment_status']);
    expect(new JobRepository(assistant.db).recent(10)).toHaveLength(1);
    await ask(assistant, 'cancel job 1');
    await assistant.jobs.wait(1);
  }, 60_000);

  it('answers the weather and a restart with what it can do, not with the previous request', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test);
    await ask(assistant, 'who deployed what yesterday?');
    const weather = await ask(assistant, "what's the weather in Paris?");
    expect(weather.toolRuns).toEqual([]);
    expect(weather.text).toMatch(/could not tell what you want/);
    await ask(assistant, 'summarise the mistral-7b logs since 14:00');
    const restart = await ask(assistant, 'restart mistral-7b');
    expect(restart.toolRuns).toEqual([]);
    expect(restart.text).toMatch(/I can't restart mistral-7b/);
  });

  it('reuses the thread for a plain follow-up', async (test) => {
    const { expect } = test;
    const assistant = await ownAssistant(test);
    await ask(assistant, 'how much memory does mistral-7b need in fp8?');
    const reply = await ask(assistant, 'and for qwen2-72b?');
    expect(reply.toolRuns.map((r) => [r.tool, r.args])).toEqual([['estimate_resources', { model: 'qwen2-72b', dtype: 'fp8' }]]);
  });
});
