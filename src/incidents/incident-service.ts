import { createHash } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import type { AssistantMetrics } from '../observability/metrics.ts';
import { Redactor } from '../security/secret-redactor.ts';
import type { ChangeEventRepository } from '../store/change-event-repository.ts';
import type { AlertmanagerPayload } from './alertmanager-payload.ts';
import type { IncidentRepository } from './incident-repository.ts';

/** Where incident threads live: a Slack channel, or the terminal. Surfaces implement it. */
export interface IncidentChannel {
  /** Posts an incident's first message and returns the conversation thread to continue in. */
  open(title: string, text: string, key: string): Promise<string>;
  post(threadId: string, text: string): Promise<void>;
  /** Asks the assistant a question in the thread and posts its answer there. */
  investigate(threadId: string, question: string): Promise<void>;
}

export type IncidentAction = 'opened' | 'updated' | 'repeated' | 'resolved';

/**
 * Turns Alertmanager notifications into incident threads: the first firing notification
 * of an alert group opens a thread and starts an investigation in it; later notifications
 * of the same group go to the same thread (only when its alerts changed); resolution is
 * posted there.
 */
export class IncidentService {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly options: {
      incidents: IncidentRepository;
      channel: IncidentChannel;
      logger: Logger;
      now?: () => Date;
      /** Where firing alerts are recorded as change events, for root-cause analysis to read. */
      changes?: ChangeEventRepository;
      /** Redacts secrets in labels and annotations before anything is posted or recorded (default: secrets, not e-mails). */
      redactor?: Redactor;
      /** Counts those redactions in `llmops_redactions_total{where="alert"}`. */
      metrics?: Pick<AssistantMetrics, 'redactions'>;
    },
  ) {
    this.redactor = options.redactor ?? new Redactor({ emails: false });
  }

  private readonly redactor: Redactor;

  /** Handles one notification; notifications of one group are processed in arrival order. */
  receive(payload: AlertmanagerPayload): Promise<IncidentAction> {
    const safe = this.withoutSecrets(payload);
    const previous = this.queues.get(payload.groupKey) ?? Promise.resolve();
    const next = previous.then(() => this.process(safe));
    const settled = next.catch((error: unknown) =>
      this.options.logger.error({ err: error, group: payload.groupKey }, 'incident handling failed'),
    );
    this.queues.set(payload.groupKey, settled);
    return next;
  }

  /**
   * The notification with secrets in its labels and annotations replaced by markers, counted
   * where they entered. Alert texts are posted to a channel and recorded as change events that
   * the model reads, so nothing downstream sees the originals. The group key and fingerprints
   * (identities, never shown) stay as sent.
   */
  private withoutSecrets(payload: AlertmanagerPayload): AlertmanagerPayload {
    const { value, found } = this.redactor.deep({
      groupLabels: payload.groupLabels,
      commonLabels: payload.commonLabels,
      commonAnnotations: payload.commonAnnotations,
      alerts: payload.alerts.map((alert) => ({ labels: alert.labels, annotations: alert.annotations })),
    });
    for (const { kind, count } of found) this.options.metrics?.redactions.inc({ kind, where: 'alert' }, count);
    return {
      ...payload,
      groupLabels: value.groupLabels,
      commonLabels: value.commonLabels,
      commonAnnotations: value.commonAnnotations,
      alerts: payload.alerts.map((alert, index) => ({ ...alert, ...value.alerts[index] })),
    };
  }

  /** Each alert once, at the time it started: another system's alert can name the cause (a dependency, a GPU). */
  private recordAlerts(alerts: AlertmanagerPayload['alerts']): void {
    for (const alert of alerts) {
      const time = new Date(alert.startsAt);
      this.options.changes?.add({
        time: Number.isNaN(time.getTime()) ? (this.options.now?.() ?? new Date()) : time,
        kind: 'alert',
        target: alertTarget(alert.labels),
        description: `${alert.labels.alertname ?? 'alert'}${alert.annotations.summary || alert.annotations.description ? `: ${alert.annotations.summary ?? alert.annotations.description}` : ''}`,
        source: 'alertmanager',
      });
    }
  }

  private async process(payload: AlertmanagerPayload): Promise<IncidentAction> {
    const { incidents, channel } = this.options;
    const firing = payload.alerts.filter((alert) => alert.status === 'firing');
    const fingerprints = firing.map((alert) => alert.fingerprint).sort();
    const existing = incidents.get(payload.groupKey);

    if (payload.status === 'resolved') {
      if (!existing || existing.status === 'resolved') return 'repeated';
      incidents.update(payload.groupKey, 'resolved', []);
      const minutes = Math.max(
        0,
        Math.round(((this.options.now?.() ?? new Date()).getTime() - existing.openedAt.getTime()) / 60_000),
      );
      await channel.post(existing.threadId, `:white_check_mark: RESOLVED: ${existing.title} (after ${minutes} min).`);
      return 'resolved';
    }

    if (existing && existing.status === 'firing') {
      if (fingerprints.join() === existing.fingerprints.join()) return 'repeated';
      incidents.update(payload.groupKey, 'firing', fingerprints);
      await channel.post(
        existing.threadId,
        `:rotating_light: Still firing, now ${firing.length} alert${firing.length === 1 ? '' : 's'}:\n${firing.map(describeAlert).join('\n')}`,
      );
      return 'updated';
    }

    this.recordAlerts(firing);
    const title = titleOf(payload);
    const text = `:rotating_light: FIRING: ${title}\n${firing.map(describeAlert).join('\n')}`;
    const threadId = await channel.open(title, text, createHash('sha256').update(payload.groupKey).digest('hex').slice(0, 12));
    if (existing) incidents.update(payload.groupKey, 'firing', fingerprints);
    else
      incidents.open({
        groupKey: payload.groupKey,
        threadId,
        title,
        status: 'firing',
        fingerprints,
        openedAt: this.options.now?.() ?? new Date(),
      });
    for (const question of questionsFor(payload)) await channel.investigate(threadId, question);
    return 'opened';
  }
}

function alertTarget(labels: Record<string, string>): string {
  return labels.model_name ?? labels.deployment ?? labels.service ?? labels.alertname ?? 'alert';
}

function titleOf(payload: AlertmanagerPayload): string {
  const name = payload.groupLabels.alertname ?? payload.commonLabels.alertname ?? 'alert';
  const severity = payload.commonLabels.severity ? `[${payload.commonLabels.severity}] ` : '';
  const summary = payload.commonAnnotations.summary ?? payload.commonAnnotations.description ?? '';
  return `${severity}${name}${summary ? ` — ${summary}` : ''}`;
}

function describeAlert(alert: AlertmanagerPayload['alerts'][number]): string {
  const labels = Object.entries(alert.labels)
    .filter(([key]) => key !== 'alertname')
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  return `• ${alert.labels.alertname ?? 'alert'} {${labels}} since ${alert.startsAt.slice(11, 16)} UTC${alert.annotations.summary ? `: ${alert.annotations.summary}` : ''}`;
}

/**
 * What to investigate, from the alert's labels: the deployment (model_name, deployment or
 * service label) and the time it started. Label values are quoted by the planner as data.
 */
export function questionsFor(payload: AlertmanagerPayload): string[] {
  const labels = { ...payload.commonLabels, ...payload.alerts[0]?.labels };
  const deployment = labels.model_name ?? labels.deployment ?? labels.service;
  if (!deployment || !/^[a-z0-9][a-z0-9._-]*$/i.test(deployment)) return [];
  const started = payload.alerts.map((alert) => alert.startsAt).sort()[0] ?? '';
  const since = new Date(new Date(started).getTime() - 30 * 60_000);
  const clock = Number.isNaN(since.getTime())
    ? 'last 1h'
    : `since ${String(since.getHours()).padStart(2, '0')}:${String(since.getMinutes()).padStart(2, '0')}`;
  return [`why is ${deployment} alerting ${clock}?`, `show metrics of ${deployment} ${clock}`];
}
