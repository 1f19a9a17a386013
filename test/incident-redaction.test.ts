import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionsOf } from '../src/chat/slack/slack-dependencies.ts';
import { createSlackSurface } from '../src/chat/slack/slack-surface.ts';
import type { AlertmanagerPayload } from '../src/incidents/alertmanager-payload.ts';
import { IncidentRepository } from '../src/incidents/incident-repository.ts';
import { IncidentService } from '../src/incidents/incident-service.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { startFakeSlack } from './support/fake-slack.ts';
import { leaks, loadSecretCorpus } from './support/secret-corpus.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

// Alert labels and annotations carry whatever the alerting rule templated in (log excerpts,
// connection strings, tokens). The incident thread in Slack and the change events the model
// reads must show markers instead, counted as redactions where="alert".
const secrets = loadSecretCorpus().filter((entry) => entry.kind !== 'none');
const PER_ALERT = 16;

let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let assistant: Awaited<ReturnType<typeof testAssistant>>;

beforeAll(async () => {
  slack = await startFakeSlack();
  assistant = await testAssistant(
    {
      DEMO: 'on',
      DEMO_BACKFILL_DAYS: '1',
      SLACK_BOT_TOKEN: 'xoxb-0000-test',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.apiUrl,
    },
    { demoTraffic: false },
  );
}, 60_000);

afterAll(async () => {
  await assistant?.dispose();
  await slack?.stop();
});

function payload(status: 'firing' | 'resolved'): AlertmanagerPayload {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const alerts = Array.from({ length: Math.ceil(secrets.length / PER_ALERT) }, (_, i) => ({
    status,
    labels: {
      alertname: 'LeakyAlert',
      model_name: 'llama-3-8b',
      shard: String(i),
      // A label value that is itself a credential, under a credential-like name.
      api_token: i === 0 ? 'tok-9fJ2kL8mN3pQ7rS1' : 'none',
    },
    annotations: {
      summary: secrets
        .slice(i * PER_ALERT, (i + 1) * PER_ALERT)
        .map((entry) => entry.text)
        .join('\n'),
      description: `shard ${i} of the leaky rule`,
    },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: `f${String(i).padStart(15, '0')}`,
  }));
  return {
    version: '4',
    groupKey: '{}:{alertname="LeakyAlert"}',
    status,
    receiver: 'llmops',
    groupLabels: { alertname: 'LeakyAlert' },
    commonLabels: { alertname: 'LeakyAlert', model_name: 'llama-3-8b' },
    commonAnnotations: { summary: secrets[0]?.text ?? '' },
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

describe('alert labels and annotations are redacted before they are posted', () => {
  it('posts the incident thread with markers, records redacted change events, and counts where="alert"', async () => {
    const surface = await createSlackSurface(assistant.config, assistant, silentLogger, decisionsOf(assistant.approvals));
    const changes = new ChangeEventRepository(assistant.db);
    const service = new IncidentService({
      incidents: new IncidentRepository(assistant.db),
      channel: surface.incidentChannel('C0INCIDENT'),
      logger: silentLogger,
      changes,
      metrics: assistant.metrics,
    });
    const since = slack.calls.length;
    expect(await service.receive(payload('firing'))).toBe('opened');
    expect(await service.receive(payload('resolved'))).toBe('resolved');

    const posted = slack.calls
      .slice(since)
      .filter((call) => call.method === 'chat.postMessage' || call.method === 'chat.update')
      .map((call) => String(call.body.text ?? ''));
    const opening = posted.find((text) => text.startsWith(':rotating_light: FIRING'));
    expect(opening).toBeDefined();
    expect(opening).toContain('[REDACTED:');
    expect(opening).toContain('api_token=[REDACTED:generic_secret]');
    expect(opening).toContain('model_name=llama-3-8b');
    expect(posted.some((text) => text.startsWith(':white_check_mark: RESOLVED'))).toBe(true);
    const all = posted.join('\n');
    expect(secrets.filter((entry) => leaks(all, entry)).map((entry) => `${entry.kind}: ${entry.secret}`)).toEqual([]);
    expect(all).not.toContain('tok-9fJ2kL8mN3pQ7rS1');

    const recorded = changes
      .list(new Date(0), new Date(Date.now() + 86_400_000))
      .filter((event) => event.kind === 'alert')
      .map((event) => event.description)
      .join('\n');
    expect(recorded).toContain('[REDACTED:');
    expect(secrets.filter((entry) => leaks(recorded, entry)).map((entry) => entry.kind)).toEqual([]);

    const counted = (await assistant.metrics.redactions.get()).values.filter((v) => v.labels.where === 'alert');
    // Each notification counts what it carried: the firing one and the resolved one both had every secret.
    expect(counted.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(2 * secrets.length);
    expect(counted.find((v) => v.labels.kind === 'aws_secret_access_key')?.value).toBeGreaterThan(0);
  }, 120_000);
});
