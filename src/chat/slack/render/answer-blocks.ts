import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;

import type { ToolRun } from '../../../agent/tool-loop-agent.ts';
import type { SizingEstimate } from '../../../analysis/resource-sizing.ts';
import type { Reply } from '../../../conversation/conversation-service.ts';
import type { DeploymentStatus } from '../../../deployments/deployment-registry.ts';
import type { LatencyStats, LoadTestReport } from '../../../integrations/load-tester.ts';
import { formatValue } from '../../../metrics/format-value.ts';
import type { QueryAnswer } from '../../../metrics/metrics-source.ts';

/** Slack's limits: section text 3,000 characters, 10 fields of 2,000, 50 blocks. */
const SECTION_LIMIT = 3000;
const FIELD_LIMIT = 2000;
const MAX_FIELDS = 10;

export interface RenderedAnswer {
  text: string;
  blocks: KnownBlock[];
  /** PNG files the tools wrote, to upload into the thread. */
  charts: string[];
}

/** An answer as Block Kit: summary, fields for the numbers, a context line, and approval buttons for proposals. */
export function renderAnswer(reply: Pick<Reply, 'text' | 'toolRuns'>): RenderedAnswer {
  const text = toSlackMarkdown(reply.text);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: cut(text, SECTION_LIMIT) } }];
  const fields = reply.toolRuns.flatMap(fieldsOf).slice(0, MAX_FIELDS);
  if (fields.length > 0)
    blocks.push({ type: 'section', fields: fields.map((field) => ({ type: 'mrkdwn', text: cut(field, FIELD_LIMIT) })) });
  for (const run of reply.toolRuns) {
    if (run.result.status === 'proposal') blocks.push(...proposalBlocks(run.result.proposalId, run.result.summary));
    const suggested = suggestedActionBlock(run);
    if (suggested) blocks.push(suggested);
  }
  const context = contextOf(reply.toolRuns);
  if (context) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(context, SECTION_LIMIT) }] });
  const charts = reply.toolRuns
    .map((run) => (run.result as { data?: { chart?: unknown } }).data?.chart)
    .filter((c): c is string => typeof c === 'string');
  return { text: cut(text, 4000), blocks: blocks.slice(0, 50), charts };
}

/** The plan of a proposed risky action with Approve / Reject buttons (the decision itself belongs to the approvals module). */
export function proposalBlocks(proposalId: number, plan: string): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: cut(`*Proposal ${proposalId}*\n${toSlackMarkdown(plan)}`, SECTION_LIMIT) } },
    {
      type: 'actions',
      block_id: `proposal_${proposalId}`,
      elements: [
        {
          type: 'button',
          action_id: 'proposal_approve',
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: String(proposalId),
          confirm: {
            title: { type: 'plain_text', text: `Approve proposal ${proposalId}?` },
            text: { type: 'mrkdwn', text: 'It runs with exactly the arguments shown, once.' },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button',
          action_id: 'proposal_reject',
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value: String(proposalId),
        },
      ],
    },
  ];
}

/** A root-cause answer's next step as a button: clicking it asks for that call, which the approval gate makes a proposal. */
export function suggestedActionBlock(run: ToolRun): KnownBlock | undefined {
  if (run.tool !== 'explain_incident' || run.result.status !== 'ok') return undefined;
  const proposable = (run.result.data as { proposable?: { tool: string; args: Record<string, unknown> } | null } | undefined)
    ?.proposable;
  if (!proposable) return undefined;
  const { tool, args } = proposable;
  const label =
    tool === 'rollback_deployment'
      ? `Propose rollback of ${String(args.deployment)}${args.to_version ? ` to ${String(args.to_version)}` : ''}`
      : `Propose scaling ${String(args.deployment)} to ${String(args.replicas)} replicas`;
  return {
    type: 'actions',
    block_id: 'suggested_action',
    elements: [
      {
        type: 'button',
        action_id: 'suggested_action',
        text: { type: 'plain_text', text: cut(label, 75) },
        value: JSON.stringify(proposable),
      },
    ],
  };
}

function fieldsOf(run: ToolRun): string[] {
  if (run.result.status !== 'ok' || !('data' in run.result)) return [];
  const data: unknown = run.result.data;
  switch (run.tool) {
    case 'query_metrics': {
      const answer = data as Partial<Pick<QueryAnswer, 'unit' | 'series'>>;
      const unit = answer.unit ?? '';
      return (answer.series ?? [])
        .filter((s) => s.points.length > 0)
        .slice(0, MAX_FIELDS)
        .map((s) => {
          const values = s.points.map((p) => p.v);
          return `*${s.deployment}*\n${formatValue(values.at(-1) as number, unit)} now · max ${formatValue(Math.max(...values), unit)}`;
        });
    }
    case 'probe_endpoint': {
      const report = data as LoadTestReport;
      const ms = (stats: LatencyStats | null) =>
        stats ? `p50 ${formatValue(stats.p50, 's')} · p95 ${formatValue(stats.p95, 's')}` : 'n/a';
      return [
        `*TTFT*\n${ms(report.ttft)}`,
        `*TPOT*\n${ms(report.tpot)}`,
        `*End-to-end*\n${ms(report.e2e)}`,
        `*Throughput*\n${report.tokensPerSecond.toFixed(1)} tokens/s`,
        `*Errors*\n${report.failed} of ${report.requests}`,
      ];
    }
    case 'estimate_resources': {
      const estimate = data as SizingEstimate;
      const r = estimate.recommendation;
      return [
        `*Weights*\n${estimate.memory.weightsGiB} GiB (${estimate.assumptions.dtype})`,
        `*KV cache*\n${estimate.memory.kvCacheGiB} GiB`,
        `*Recommended*\n${r ? `${r.count} × ${r.gpu}` : 'does not fit'}`,
        ...(r ? [`*Concurrent sequences*\n${r.maxConcurrentSequences}`] : []),
      ];
    }
    case 'get_deployment_status':
      return (data as DeploymentStatus[]).map(
        (d) =>
          `*${d.name}* (${d.environment})\n${d.version} · ${d.healthy ? 'healthy' : ':red_circle: unhealthy'}${d.running === undefined ? '' : ` · ${d.running} running, ${d.waiting ?? 0} waiting`}`,
      );
    default:
      return [];
  }
}

function contextOf(runs: ToolRun[]): string | undefined {
  if (runs.length === 0) return undefined;
  const parts = runs.map((run) => {
    const data = (run.result as { data?: { source?: string; metricName?: string; range?: { start: string; end: string } } }).data;
    if (run.tool === 'query_metrics' && data?.source) {
      const range = data.range;
      const when = range ? ` · ${range.start.slice(0, 16).replace('T', ' ')} to ${range.end.slice(11, 16)} UTC` : '';
      return `${data.source} · \`${data.metricName}\`${when}`;
    }
    return `\`${run.tool}\` ${run.result.status}`;
  });
  return [...new Set(parts)].join(' | ');
}

/** Markdown's **bold** is Slack's *bold*. */
function toSlackMarkdown(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, '*$1*');
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
