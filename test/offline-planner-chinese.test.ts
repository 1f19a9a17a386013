import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposalAnswer, writeAnswer } from '../src/agent/offline-planner/answer-writer.ts';
import { OfflinePlannerChatModel } from '../src/agent/offline-planner/offline-chat-model.ts';
import { JobRepository } from '../src/jobs/job-repository.ts';
import { simulatedTimeScale } from './support/simulated-time.ts';
import { testAssistant } from './support/test-assistant.ts';
import { waitUntil } from './support/wait-until.ts';

// The probe load-tests a demo server: it runs 4 times faster than real time (the load tester
// reports in its time), as the figures are compared with the English answer's, not with a clock.
simulatedTimeScale(4);

type TestAssistant = Awaited<ReturnType<typeof testAssistant>>;
const HAN = /[\u4e00-\u9fff]/;
// Every number of a text, as written ("9.16", "8,192", "2026-12-06" gives 2026, 12, 06).
const numbers = (text: string) => text.match(/\d+(?:[.,]\d+)*/g) ?? [];

/** The tool sentences the English answer would be made of, for comparing figures. */
const englishOf = (reply: Awaited<ReturnType<TestAssistant['conversation']['handle']>>) =>
  reply.toolRuns.map((run) => run.result.summary).join('\n');

describe('a Chinese request gets a Chinese answer with the same numbers (offline planner, demo fleet)', () => {
  let assistant: TestAssistant;
  beforeAll(async () => {
    assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '1' }, { demoTraffic: false });
  }, 60_000);
  afterAll(async () => {
    await assistant?.dispose();
  });
  let thread = 0;
  const ask = (text: string) =>
    assistant.conversation.handle({ surface: 'test', threadId: `zh:${++thread}`, userId: 'U1', text });

  it.each([
    ['比较 mistral-7b 和 qwen2-7b 的延迟', /^p95 端到端请求延迟，最近 1 小时：\n• mistral-7b：当前 [\d.]+ m?s（最低 /],
    ['llama-3-8b 最近一小时的指标', /^llama-3-8b 当前（最近 1 小时）：\n• p95 TTFT（首 token 时间）：/],
    ['mistral-7b 的状态', /^1 个部署，全部健康：\n• mistral-7b（prod）v\d+：1 个副本，模型 mistral-7b/],
    ['qwen2-7b 今天有异常吗？', /^qwen2-7b 在今天(没有异常|有 \d+ 个异常)/],
    ['预测 qwen2-7b 明天的请求量', /^qwen2-7b 未来 1 天的每秒请求数预测：峰值 /],
    ['mistral-7b 为什么变慢？', /^(已检查 mistral-7b|mistral-7b“高延迟”最可能的原因)/],
    ['qwen2-7b 最常见的日志模式', /^qwen2-7b 在最近 1 小时内有 \d+ 行日志，归为 \d+ 个模板/],
    ['看看 mistral-7b 最近的日志', /^mistral-7b 的日志在最近 1 小时内有 \d+ 行日志，最新的在前：/],
    ['mixtral-8x7b 跑 16k 上下文需要多少显存', /^Mixtral 8x7B 用 bf16 需要 [\d.]+ GiB 权重 \+ [\d.]+ GiB KV 缓存/],
    ['用 3 个请求探测 mistral-7b', /^用 3 个流式请求探测了 mistral-7b（并发 1，max_tokens 128），用时 [\d.]+ 秒：TTFT p50 /],
    ['昨天谁部署了什么？', /^昨天没有审计记录。$/],
  ])(
    '%s',
    async (request, shape) => {
      const reply = await ask(request);
      expect(reply.toolRuns.length).toBeGreaterThan(0);
      expect(reply.text).toMatch(shape);
      expect(reply.text.split('\n')[0]).toMatch(HAN);
      // The figures are the tools' own: every number the English answer would give is in the Chinese one.
      const chinese = new Set(numbers(reply.text));
      expect(numbers(englishOf(reply)).filter((n) => !chinese.has(n))).toEqual([]);
      // No English sentence of a tool is passed off as the answer.
      expect(reply.text).not.toMatch(/\b(now \(min|over last|deployments?, all healthy|No anomalies|Probed)\b/);
    },
    30_000,
  );

  it('says an unknown deployment in Chinese, with the nearest names', async () => {
    const reply = await ask('mistral-8b 的 p95 首 token 时间');
    expect(reply.text).toBe(
      '⚠️ 我不知道名为 mistral-8b 的部署。你是说 mistral-7b 吗？已知部署：mistral-7b、llama-3-8b、qwen2-7b。',
    );
  });

  it('says an unknown metric in Chinese, and asks back in Chinese', async () => {
    expect((await ask('qwen2-7b 的 GPU 温度')).text).toMatch(
      /^我没有“gpu 温度”这个指标。我能读取的服务指标：首 token 时间（ttft）/,
    );
    expect((await ask('部署')).text).toMatch(/^部署还需要知道哪个模型、哪个版本、哪个环境/);
    expect((await ask('帮助')).text).toMatch(/^我可以帮你管理模型集群/);
  });

  it('keeps the English answer exactly the tool summaries', async () => {
    const reply = await ask('status of mistral-7b');
    expect(reply.text).toBe(reply.toolRuns[0]?.result.summary);
  });
});

describe('jobs in Chinese, through the chat', () => {
  // A job command that runs until cancelled, printing progress.
  const SLOW = `${process.execPath} -e setInterval(()=>console.log("step"),100) {output}`;

  it('starts, shows and cancels a job, each answered in Chinese', async () => {
    const assistant = await testAssistant(
      { DEMO: 'on', DEMO_BACKFILL_DAYS: '0', QUANTIZE_COMMAND: SLOW },
      { demoTraffic: false },
    );
    try {
      const ask = (text: string) => assistant.conversation.handle({ surface: 'test', threadId: 'zh:jobs', userId: 'U1', text });
      const started = await ask('在 dev 环境用 gptq 量化 qwen2-7b');
      expect(started.toolRuns[0]?.result.status).toBe('ok');
      expect(started.text).toMatch(/^任务 1 已启动：量化 qwen2-7b。进度会发在这个会话里/);
      const jobs = new JobRepository(assistant.db);
      await waitUntil(
        'job 1 to run and its command to print',
        () => jobs.get(1)?.state === 'running' && jobs.tail(1).includes('step'),
      );
      const progress = await ask('量化任务进展如何？');
      expect(progress.text).toMatch(/^任务 1（量化 qwen2-7b，dev）：\[[█░]+\] \d+%/);
      const cancelled = await ask('取消量化任务');
      expect(cancelled.text).toBe('任务 1（量化 qwen2-7b）正在取消；停止后会在它的会话里告知。');
      await assistant.jobs.wait(1);
      expect((await ask('取消任务 7')).text).toBe('⚠️ 没有任务 7。');
    } finally {
      await assistant.dispose();
    }
  }, 60_000);
});

describe('the answer writer in Chinese', () => {
  const result = (id: string, name: string, content: unknown) =>
    new ToolMessage({ tool_call_id: id, name, content: JSON.stringify(content) });

  it('renders a proposal as "提案 N 等待 … 批准", with the plan as the tool wrote it', () => {
    const summary =
      'Proposal 4 awaits approval by group:sre (dangerous; expires 05:52 UTC): Roll back mistral-7b in prod from v4 to v3. As the operator at this terminal you may decide it: /approve 4 in the chat, or llmops approve 4 --as local:ann.';
    const text = writeAnswer(
      [result('c1', 'rollback_deployment', { status: 'proposal', proposalId: 4, summary, data: { proposal: 4 } })],
      { chinese: true },
    );
    expect(text).toBe(
      '提案 4 等待 group:sre 批准（高风险；05:52 UTC 过期）。计划：Roll back mistral-7b in prod from v4 to v3.\n' +
        '你是本终端的操作员，可以自己决定：在聊天里输入 /approve 4，或运行 llmops approve 4 --as local:ann。',
    );
  });

  it('writes the answer that ends a turn on a proposal in the language of the request', () => {
    const summary =
      'Proposal 2 awaits 2 approvals from group:sre, group:ml-platform (dangerous; expires 06:06 UTC): Scale llama-3-70b in prod from 2 to 6 replicas.';
    const runs = [{ tool: 'scale_deployment', args: {}, result: { status: 'proposal' as const, proposalId: 2, summary } }];
    expect(proposalAnswer(runs, 'scale llama-3-70b to 6 replicas in prod')).toBe(summary);
    expect(proposalAnswer(runs, '把生产环境的 llama-3-70b 扩到 6 个副本')).toBe(
      '提案 2 等待 group:sre, group:ml-platform 中 2 人批准（高风险；06:06 UTC 过期）。计划：Scale llama-3-70b in prod from 2 to 6 replicas.',
    );
  });

  it("gives a Chinese lead line and the tool's own words for what it has no rendering of", () => {
    const text = writeAnswer([result('c1', 'deploy_model', { status: 'ok', summary: 'Deployed qwen2-7b v3 to dev.' })], {
      chinese: true,
      calls: new Map([['c1', { tool: 'deploy_model', args: {} }]]),
    });
    expect(text).toBe('部署的结果（工具原文）：\nDeployed qwen2-7b v3 to dev.');
    expect(writeAnswer([], { chinese: true })).toBe('这次没有运行任何工具，所以没有可报告的内容。');
    expect(writeAnswer([result('c1', 'deploy_model', { status: 'ok', summary: 'Deployed.' })])).toBe('Deployed.');
  });

  it('is chosen by the language of the request the results answer', async () => {
    const model = new OfflinePlannerChatModel({ knownDeployments: () => ['mistral-7b'] });
    const asked = new AIMessage({
      content: '',
      tool_calls: [{ id: 'c1', name: 'search_logs', args: { deployment: 'mistral-7b' }, type: 'tool_call' }],
    });
    const logs = result('c1', 'search_logs', {
      status: 'no_data',
      summary: "No lines in mistral-7b's logs over last 1h (file source).",
    });
    const zh = await model.invoke([new HumanMessage('mistral-7b 的日志'), asked, logs]);
    expect(zh.text).toBe('mistral-7b 的日志在最近 1 小时内没有日志行（file 日志源）。');
    const en = await model.invoke([new HumanMessage('logs of mistral-7b'), asked, logs]);
    expect(en.text).toBe("No lines in mistral-7b's logs over last 1h (file source).");
  });

  it('mentions raw PromQL for a metric it lacks as the chat model is told', async () => {
    const model = new OfflinePlannerChatModel({ rawPromql: () => true });
    const reply = await model.invoke([new HumanMessage('gpu utilization of mistral-7b')]);
    expect(reply.text).toContain('Raw PromQL works too');
  });
});
