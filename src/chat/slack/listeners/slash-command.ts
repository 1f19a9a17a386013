import { AIMessage, HumanMessage } from '@langchain/core/messages';
import type { App } from '@slack/bolt';
import { planRequest } from '../../../agent/offline-planner/plan-request.ts';
import { answerInThread } from '../answer-in-thread.ts';
import { renderAnswer } from '../render/answer-blocks.ts';
import type { SlackDependencies } from '../slack-dependencies.ts';

/** Direct sub-commands and the tool each one means; the rest of the line gives the arguments. */
const DIRECT: Record<string, { tool: string; lead: string }> = {
  status: { tool: 'get_deployment_status', lead: 'status' },
  metrics: { tool: 'query_metrics', lead: 'metrics' },
  logs: { tool: 'search_logs', lead: 'logs' },
  explain: { tool: 'explain_incident', lead: 'explain' },
  deploy: { tool: 'deploy_model', lead: 'deploy' },
  rollback: { tool: 'rollback_deployment', lead: 'rollback' },
  audit: { tool: 'list_audit', lead: 'audit' },
};

export const SLASH_USAGE = [
  '*Usage:* `/llmops <sub-command>`',
  '• `status [deployment | prod | staging]`: deployments, versions, health',
  '• `metrics <deployment> [p95 ttft | throughput | queue depth | …] [last 2h | since 14:00]`',
  '• `logs <deployment> [text] [last 1h]`',
  '• `explain <deployment> [since 14:00]`: ranked root causes',
  '• `deploy <model> <version> <prod | staging> [on 2 H100]`, `rollback <deployment> [prod]`: proposed for approval',
  '• `audit [yesterday | last 24h]`',
  '• `ask <anything>`: a question for the assistant',
].join('\n');

/**
 * `/llmops`: acknowledged at once; direct sub-commands whose arguments the deterministic
 * planner reads unambiguously go straight to the tool executor (same gate, no LLM);
 * `ask` and anything ambiguous goes through the conversation.
 */
export function registerSlashCommand(app: App, deps: SlackDependencies): void {
  app.command('/llmops', async ({ ack, command, client, respond }) => {
    await ack();
    const [sub = '', ...words] = command.text.trim().split(/\s+/);
    const rest = words.join(' ');
    const name = sub.toLowerCase();
    if (name === '' || name === 'help') {
      await respond({ response_type: 'ephemeral', text: SLASH_USAGE });
      return;
    }
    const direct = DIRECT[name];
    if (name !== 'ask' && !direct) {
      await respond({ response_type: 'ephemeral', text: `Unknown sub-command \`${sub}\`.\n${SLASH_USAGE}` });
      return;
    }
    // The command's own message starts the thread that follow-ups go to.
    const question = name === 'ask' ? rest : `${direct?.lead} ${rest}`;
    // Acknowledged; the rest waits until no other request waits for its acknowledgement.
    await deps.pacer.quiet();
    const header = await postOrRespond(
      client,
      respond,
      command.channel_id,
      `<@${command.user_id}> asked: \`/llmops ${command.text.trim()}\``,
    );
    if (!header) return;
    deps.slack.joinThread(command.channel_id, header);
    const threadId = `slack:${command.channel_id}:${header}`;

    const plan = direct ? planRequest(question, deps.deployments.names()) : undefined;
    const call = plan?.kind === 'calls' ? plan.calls[0] : undefined;
    if (direct && call?.tool === direct.tool) {
      await deps.pacer.quiet();
      const result = await deps.executor.execute(call.tool, call.args, { threadId, userId: command.user_id, now: new Date() });
      await deps.pacer.quiet();
      const rendered = renderAnswer({ text: result.summary, toolRuns: [{ tool: call.tool, args: call.args, result }] });
      deps.threads.append(threadId, 'slack', [new HumanMessage(question), new AIMessage(result.summary)], command.user_id);
      await client.chat.postMessage({
        channel: command.channel_id,
        thread_ts: header,
        text: rendered.text,
        blocks: rendered.blocks,
      });
      for (const chart of rendered.charts) {
        await client.filesUploadV2({
          channel_id: command.channel_id,
          thread_ts: header,
          file: chart,
          filename: chart.split('/').pop() ?? 'chart.png',
        });
      }
      return;
    }
    if (direct && plan?.kind === 'clarify') {
      await client.chat.postMessage({ channel: command.channel_id, thread_ts: header, text: plan.question });
      return;
    }
    await answerInThread(client, deps, {
      channel: command.channel_id,
      threadTs: header,
      userId: command.user_id,
      text: question,
      threadId,
    });
  });
}

/** Posts into the channel; where the bot is not a member, answers through the command's response URL instead. */
async function postOrRespond(
  client: Parameters<Parameters<App['command']>[1]>[0]['client'],
  respond: Parameters<Parameters<App['command']>[1]>[0]['respond'],
  channel: string,
  text: string,
): Promise<string | undefined> {
  try {
    const posted = await client.chat.postMessage({ channel, text });
    return posted.ts;
  } catch (error) {
    await respond({
      response_type: 'ephemeral',
      text: `I cannot post in this channel (${(error as Error).message}); invite me with \`/invite @LLM Ops\`, or DM me.`,
    });
    return undefined;
  }
}
