import { describe, expect, it } from 'vitest';
import { renderAnswer } from '../src/chat/slack/render/answer-blocks.ts';

describe('Block Kit rendering', () => {
  it('renders a proposal as a plan with Approve (confirmed) and Reject buttons carrying the proposal id', () => {
    const rendered = renderAnswer({
      text: 'Proposal 12 awaits approval.',
      toolRuns: [
        {
          tool: 'deploy_model',
          args: { model: 'qwen2-7b', version: 'v2', environment: 'prod' },
          result: { status: 'proposal', proposalId: 12, summary: 'Deploy **qwen2-7b v2** to prod on 1 × A100-80GB (was v1).' },
        },
      ],
    });
    const actions = rendered.blocks.find((block) => block.type === 'actions') as {
      block_id: string;
      elements: Array<Record<string, any>>;
    };
    expect(actions.block_id).toBe('proposal_12');
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      ['proposal_approve', '12', 'primary'],
      ['proposal_reject', '12', 'danger'],
    ]);
    expect(actions.elements[0]?.confirm.title.text).toBe('Approve proposal 12?');
    const plan = rendered.blocks.find((block) => block.type === 'section' && JSON.stringify(block).includes('Proposal 12*')) as {
      text: { text: string };
    };
    expect(plan.text.text).toBe('*Proposal 12*\nDeploy *qwen2-7b v2* to prod on 1 × A100-80GB (was v1).');
  });

  it("keeps within Slack's limits: 3,000-character sections, at most 10 fields", () => {
    const rendered = renderAnswer({
      text: 'x'.repeat(10_000),
      toolRuns: [
        {
          tool: 'query_metrics',
          args: {},
          result: {
            status: 'ok',
            summary: 'many',
            data: {
              unit: 's',
              source: 'embedded',
              metricName: 'vllm:e2e_request_latency_seconds',
              series: Array.from({ length: 30 }, (_, i) => ({ deployment: `d${i}`, points: [{ t: 1, v: 0.5 }] })),
            },
          },
        },
      ],
    });
    const first = rendered.blocks[0] as { text: { text: string } };
    expect(first.text.text.length).toBe(3000);
    const fields = (rendered.blocks[1] as { fields: unknown[] }).fields;
    expect(fields).toHaveLength(10);
  });
});

describe('slack/manifest.yaml', () => {
  it('subscribes to what the surface listens to, with the scopes to answer', async () => {
    const { readFileSync } = await import('node:fs');
    const manifest = readFileSync(new URL('../slack/manifest.yaml', import.meta.url), 'utf8');
    for (const needed of [
      '- app_mention',
      '- app_home_opened',
      '- message.im',
      '- message.channels',
      'command: /llmops',
      '- chat:write',
      '- files:write',
      '- commands',
      'home_tab_enabled: true',
    ]) {
      expect(manifest).toContain(needed);
    }
    expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true\n\s+request_url: \S+\/slack\/events/);
  });
});
