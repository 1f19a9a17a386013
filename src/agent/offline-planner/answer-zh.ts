import { z } from 'zod';
import { progressBar } from '../../jobs/progress-bar.ts';
import { type CallResult, TOOL_RENDERERS_ZH, type ZhRenderer } from './answer-zh-tools.ts';
import { RISK_ZH } from './zh-words.ts';

export type { CallResult } from './answer-zh-tools.ts';

/** Each tool in Chinese, for lead lines. */
const TOOL_ZH: Record<string, string> = {
  query_metrics: '指标查询',
  get_deployment_status: '部署状态',
  explain_incident: '故障排查',
  detect_anomalies: '异常检测',
  forecast_metrics: '预测',
  search_logs: '日志搜索',
  analyze_logs: '日志分析',
  estimate_resources: '资源估算',
  probe_endpoint: '接口探测',
  list_audit: '审计记录',
  get_job_status: '任务状态',
  start_optimization: '优化任务',
  cancel_job: '取消任务',
  deploy_model: '部署',
  rollback_deployment: '回滚',
  scale_deployment: '扩缩容',
};

const JOB_KIND_ZH: Record<string, string> = { tune: '调优', quantize: '量化', distill: '蒸馏' };
const JOB_STATE_ZH: Record<string, string> = {
  queued: '排队中',
  running: '运行中',
  succeeded: '成功',
  failed: '失败',
  cancelled: '已取消',
  interrupted: '已中断',
};

const job = z.object({
  id: z.number(),
  kind: z.string(),
  deployment: z.string(),
  environment: z.string(),
  state: z.string(),
  progress: z.number(),
  progressText: z.string(),
  result: z.object({ summary: z.string() }).loose().nullable().optional(),
  error: z.string().nullable().optional(),
  cancelledBy: z.string().nullable().optional(),
});
type JobView = z.infer<typeof job>;

/** One job in Chinese, as describeJob says it in English; a result or error the job wrote is quoted as written. */
function describeJobZh(j: JobView, lastLines: readonly string[] = []): string {
  const title = `任务 ${j.id}（${JOB_KIND_ZH[j.kind] ?? j.kind} ${j.deployment}，${j.environment}）`;
  const percent = Math.round(j.progress * 100);
  switch (j.state) {
    case 'queued':
      return `${title}：排队中。`;
    case 'running':
      return `${title}：${progressBar(j.progress)} ${j.progressText || '启动中'}`;
    case 'succeeded':
      return `${title}已完成：${j.result?.summary ?? '完成'}`;
    case 'cancelled':
      return `${title}已被 ${j.cancelledBy ?? '某人'} 取消，进度 ${percent}%（${j.progressText || '开始之前'}）。`;
    case 'interrupted':
      return `${title}被中断（${j.error ?? '助手停止了'}），进度 ${percent}%；重新启动即可重试。`;
    case 'failed':
      return `${title}失败：${j.error ?? '未知错误'}${lastLines.length > 0 ? `\n最后几行：\n${lastLines.map((line) => `  ${line}`).join('\n')}` : ''}`;
    default:
      return `${title}：${JOB_STATE_ZH[j.state] ?? j.state}`;
  }
}

const getJobStatus: ZhRenderer = (r) => {
  if (r.status === 'no_data') {
    const of = typeof r.args.deployment === 'string' ? `（${r.args.deployment}）` : '';
    return `还没有优化任务${of}。`;
  }
  const one = z.object({ job, log: z.array(z.unknown()).default([]) }).safeParse(r.data);
  if (one.success) {
    const lastLines =
      /\nLast lines:\n([\s\S]*)$/
        .exec(r.summary)?.[1]
        ?.split('\n')
        .map((line) => line.trim()) ?? [];
    return describeJobZh(one.data.job, lastLines);
  }
  const list = z.object({ jobs: z.array(z.unknown()) }).safeParse(r.data);
  if (!list.success) return undefined;
  const jobs = list.data.jobs.flatMap((item) => {
    const parsed = job.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  // The tool leads with this conversation's job in full; the others follow as one line each.
  const latestId = /^Job (\d+) /.exec(r.summary)?.[1];
  const latest = jobs.find((j) => String(j.id) === latestId);
  const others = jobs.filter((j) => j !== latest).slice(0, 10);
  const list2 = others.map((j) => `• ${describeJobZh(j).split('\n')[0]}`).join('\n');
  if (!latest) return list2 || undefined;
  return `${describeJobZh(latest)}${others.length > 0 ? `\n其他最近的任务：\n${list2}` : ''}`;
};

const cancelJob: ZhRenderer = (r) => {
  const scope = typeof r.args.deployment === 'string' ? `（${r.args.deployment}）` : '';
  if (r.status === 'no_data') return `没有排队或运行中的任务${scope}，无需取消。`;
  const text = r.summary;
  const cancelling = /^Job (\d+) \((\w+) (\S+)\) is being cancelled/.exec(text);
  if (cancelling)
    return `任务 ${cancelling[1]}（${JOB_KIND_ZH[cancelling[2] as string] ?? cancelling[2]} ${cancelling[3]}）正在取消；停止后会在它的会话里告知。`;
  const before = /^Job (\d+) \((\w+) (\S+)\) was cancelled before it started/.exec(text);
  if (before) return `任务 ${before[1]}（${JOB_KIND_ZH[before[2] as string] ?? before[2]} ${before[3]}）在开始前已取消。`;
  return undefined;
};

const startOptimization: ZhRenderer = (r) => {
  const started = /^Job (\d+) started: (\w+) (\S+)\./.exec(r.summary);
  if (!started) return undefined;
  return `任务 ${started[1]} 已启动：${JOB_KIND_ZH[started[2] as string] ?? started[2]} ${started[3]}。进度会发在这个会话里；可以问“任务 ${started[1]} 的状态”或说“取消任务 ${started[1]}”。`;
};

const RENDERERS: Record<string, ZhRenderer> = {
  ...TOOL_RENDERERS_ZH,
  get_job_status: getJobStatus,
  cancel_job: cancelJob,
  start_optimization: startOptimization,
};

/** "提案 N 等待 … 批准": the gate's figures in Chinese, the plan quoted as the tool wrote it. */
function proposalZh(r: CallResult): string | undefined {
  const operatorHint =
    / As the operator at this terminal you may decide it: \/approve \d+ in the chat, or llmops approve \d+ --as (\S+)\.$/;
  const operator = operatorHint.exec(r.summary);
  const m =
    /^Proposal (\d+) awaits (?:approval by|(\d+) approvals from) (.+?) \((\w+); expires (\d\d:\d\d) UTC\): ([\s\S]*)$/.exec(
      r.summary.replace(operatorHint, ''),
    );
  if (!m) return undefined;
  const [, id, count, who, risk, expires, plan] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
    string,
    string,
  ];
  const approval = count ? `${who} 中 ${count} 人批准` : `${who} 批准`;
  const lines = [`提案 ${id} 等待 ${approval}（${RISK_ZH[risk] ?? risk}；${expires} UTC 过期）。计划：${plan}`];
  if (operator)
    lines.push(
      `你是本终端的操作员，可以自己决定：在聊天里输入 /approve ${id}，或运行 llmops approve ${id} --as ${operator[1]}。`,
    );
  return lines.join('\n');
}

const unknownDeploymentData = z.object({
  deployment: z.string(),
  didYouMean: z.array(z.string()),
  deployments: z.array(z.string()),
});

/** An error in Chinese: what the tool said, with a Chinese lead; an unknown deployment and a missing job fully in Chinese. */
function errorZh(r: CallResult): string {
  const unknown = unknownDeploymentData.safeParse(r.data);
  if (r.code === 'deployment_unknown' && unknown.success) {
    const { deployment, didYouMean, deployments } = unknown.data;
    const guess = didYouMean.length > 0 ? `你是说 ${didYouMean.join(' 或 ')} 吗？` : '';
    return `⚠️ 我不知道名为 ${deployment} 的部署。${guess}已知部署：${deployments.join('、')}。`;
  }
  const noJob = /There is no job (\d+)\./.exec(r.summary);
  if (noJob) return `⚠️ 没有任务 ${noJob[1]}。`;
  const ambiguous = /^(\d+) jobs are running(?: for (\S+))?: (.+)\. Say which, e\.g\. "cancel job (\d+)"\.$/.exec(r.summary);
  if (ambiguous)
    return `⚠️ 有 ${ambiguous[1]} 个任务在运行${ambiguous[2] ? `（${ambiguous[2]}）` : ''}：${(ambiguous[3] as string).replace(/job (\d+)/g, '任务 $1')}。请说明取消哪个，例如“取消任务 ${ambiguous[4]}”。`;
  const finished = /^Job (\d+) already (\w+); nothing to cancel\.$/.exec(r.summary);
  if (finished) return `⚠️ 任务 ${finished[1]} 已经${JOB_STATE_ZH[finished[2] as string] ?? finished[2]}，无需取消。`;
  return `⚠️ ${TOOL_ZH[r.tool] ?? r.tool}出错（${r.code ?? 'error'}）：${r.summary}`;
}

/** One tool result in Chinese: a rendering from its data where there is one, else a Chinese lead line and the tool's own summary. */
export function renderResultZh(r: CallResult): string {
  if (r.status === 'error') return errorZh(r);
  if (r.status === 'unavailable')
    return `${TOOL_ZH[r.tool] ?? r.tool}：这个版本还不能运行（${r.summary}）。我可以规划，但还不能执行。`;
  if (r.status === 'proposal') {
    const proposal = proposalZh(r);
    if (proposal) return proposal;
  }
  const rendered = RENDERERS[r.tool]?.(r);
  return rendered ?? `${TOOL_ZH[r.tool] ?? r.tool}的结果（工具原文）：\n${r.summary}`;
}
