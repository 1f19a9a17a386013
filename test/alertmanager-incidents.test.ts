import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionsOf } from '../src/chat/slack/slack-dependencies.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import { createHttpServer, listen } from '../src/http/http-server.ts';
import { alertmanagerRoute } from '../src/incidents/alertmanager-route.ts';
import { IncidentRepository } from '../src/incidents/incident-repository.ts';
import { IncidentService } from '../src/incidents/incident-service.ts';
import { postAlerts, type RunningAlertmanager, startAlertmanager } from './support/alertmanager-server.ts';
import { startFakeSlack } from './support/fake-slack.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

// A real Alertmanager (Debian's package) sends its webhook to the assistant, which opens an
// incident thread in Slack (a Slack-compatible server here) and investigates in it.
const TOKEN = 'am-token-5f1c';
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let assistant: Awaited<ReturnType<typeof testAssistant>>;
let server: Server;
let alertmanager: RunningAlertmanager;
let base: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  assistant = await testAssistant(
    {
      DEMO: 'on',
      DEMO_BACKFILL_DAYS: '1',
      SLACK_BOT_TOKEN: 'xoxb-0000-test',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.apiUrl,
      ALERT_CHANNEL: 'C0INCIDENT',
    },
    { demoTraffic: false },
  );
  const surface = await createSlackSurface(assistant.config, assistant, silentLogger, decisionsOf(assistant.approvals));
  const incidents = new IncidentService({
    incidents: new IncidentRepository(assistant.db),
    channel: surface.incidentChannel('C0INCIDENT'),
    logger: silentLogger,
  });
  server = createHttpServer({
    metrics: assistant.metrics,
    logger: silentLogger,
    health: () => ({ ok: true, checks: {} }),
    routes: { '/alertmanager': alertmanagerRoute(incidents, silentLogger, TOKEN) },
  });
  const port = await listen(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
  alertmanager = await startAlertmanager({ webhookUrl: `${base}/alertmanager`, token: TOKEN });
}, 60_000);

afterAll(async () => {
  await alertmanager?.stop();
  server?.closeAllConnections();
  server?.close();
  await assistant?.dispose();
  await slack?.stop();
});

describe('incident threads from Alertmanager', () => {
  it('opens one thread per alert group, investigates in it, follows the group, and posts the resolution', async () => {
    const alert = {
      labels: { alertname: 'HighTTFT', model_name: 'llama-3-8b', severity: 'page', instance: 'gpu-node-1' },
      annotations: { summary: 'p95 TTFT above 2 s for 5 minutes' },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      generatorURL: 'http://prometheus:9090/graph?g0.expr=histogram_quantile',
    };
    await postAlerts(alertmanager.url, [alert]);
    const opened = await slack.waitFor(
      'chat.postMessage',
      (c) => c.body.channel === 'C0INCIDENT' && String(c.body.text).startsWith(':rotating_light: FIRING'),
      20_000,
    );
    expect(opened.body.thread_ts).toBeUndefined();
    expect(opened.body.text).toContain('[page] HighTTFT — p95 TTFT above 2 s for 5 minutes');
    expect(opened.body.text).toContain('model_name=llama-3-8b');

    // The investigation runs in the incident's thread: metrics first, then anomalies.
    const investigation = await slack.waitFor(
      'chat.update',
      (c) => c.body.channel === 'C0INCIDENT' && String(c.body.text).startsWith('llama-3-8b now'),
      20_000,
    );
    expect(investigation.body.text).toContain('p95 TTFT');
    const inThread = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === opened.ts);
    expect(inThread.length).toBeGreaterThanOrEqual(1);

    // A second alert of the same group goes to the same thread.
    await postAlerts(alertmanager.url, [alert, { ...alert, labels: { ...alert.labels, instance: 'gpu-node-2' } }]);
    const update = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).startsWith(':rotating_light: Still firing, now 2 alerts'),
      20_000,
    );
    expect(update.body.thread_ts).toBe(opened.ts);

    // Resolution, posted in the thread.
    const ended = new Date().toISOString();
    await postAlerts(alertmanager.url, [
      { ...alert, endsAt: ended },
      { ...alert, labels: { ...alert.labels, instance: 'gpu-node-2' }, endsAt: ended },
    ]);
    const resolved = await slack.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text).startsWith(':white_check_mark: RESOLVED'),
      30_000,
    );
    expect(resolved.body.thread_ts).toBe(opened.ts);
    const threads = slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && c.body.channel === 'C0INCIDENT' && c.body.thread_ts === undefined,
    );
    expect(threads).toHaveLength(1);
  }, 90_000);

  it("refuses a wrong token and a payload that is not Alertmanager's, with no side effect", async () => {
    const before = slack.calls.length;
    const wrong = await fetch(`${base}/alertmanager`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body: '{}' });
    expect(wrong.status).toBe(401);
    const bad = await fetch(`${base}/alertmanager`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ status: 'firing' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('not an Alertmanager webhook payload: version');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.calls.length).toBe(before);
  });
});
