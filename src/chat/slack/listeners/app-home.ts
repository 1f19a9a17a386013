import type { App, types } from '@slack/bolt';
import type { SlackDependencies } from '../slack-dependencies.ts';

/** The App Home tab: deployments with health, open proposals, recent jobs. */
export function registerAppHome(app: App, deps: SlackDependencies): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    // Bolt acknowledged the event; building the tab waits until no other request waits for its acknowledgement.
    await deps.pacer.quiet();
    const [deployments, proposals, jobs] = await Promise.all([
      deps.deployments.list(),
      deps.decisions.open(),
      // Through the executor like any read, so the App Home says what get_job_status says.
      deps.executor.execute('get_job_status', {}, { threadId: `slack-home:${event.user}`, userId: event.user, now: new Date() }),
    ]);
    const blocks: types.KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'LLM Ops' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Deployments*' } },
      ...(deployments.length === 0
        ? [{ type: 'section', text: { type: 'mrkdwn', text: '_No deployments are registered._' } } as types.KnownBlock]
        : deployments.slice(0, 20).map(
            (d): types.KnownBlock => ({
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: `${d.healthy ? ':large_green_circle:' : ':red_circle:'} *${d.name}* (${d.environment}) ${d.version} · ${d.replicas} replica${d.replicas === 1 ? '' : 's'} · ${d.gpu ?? ''}${d.running === undefined ? '' : ` · ${d.running} running, ${d.waiting ?? 0} waiting`}`,
              },
            }),
          )),
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: '*Open proposals*' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            proposals.length === 0
              ? '_None waiting for approval._'
              : proposals.map((p) => `• *${p.id}*: ${p.summary}`).join('\n'),
        },
      },
      { type: 'divider' },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*Recent jobs*\n${jobs.status === 'ok' ? jobs.summary : `_${jobs.summary}_`}`.slice(0, 3000),
        },
      },
    ];
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: blocks.slice(0, 100) } });
  });
}
