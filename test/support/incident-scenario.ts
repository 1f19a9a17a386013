import type { FaultName } from '../../src/demo/faults.ts';
import type { DemoIncident } from '../../src/demo/history-backfill.ts';
import { DeploymentHistory } from '../../src/deployments/deployment-history.ts';
import { ChangeEventRepository } from '../../src/store/change-event-repository.ts';
import { testAssistant } from './test-assistant.ts';

export interface ScenarioEvent {
  /** Minutes before the fault starts (negative: after). */
  minutesBefore: number;
  kind: string;
  target: string;
  description: string;
}

/**
 * A demo fleet whose back-filled history has `fault` on `deployment` for the last 25 minutes
 * before `now` (15:00 yesterday, when the demo's traffic is near its daily peak, so every run
 * sees the same load), with the same effects and log lines as injecting it into a live server.
 * A bad deploy comes with its deploy event; `events` adds others (distractors).
 */
export async function incidentScenario(
  fault: FaultName,
  options: { deployment?: string; events?: ScenarioEvent[]; minutes?: number } = {},
) {
  const deployment = options.deployment ?? 'mistral-7b';
  const now = new Date();
  now.setDate(now.getDate() - 1);
  now.setHours(15, 0, 0, 0);
  const start = new Date(now.getTime() - (options.minutes ?? 25) * 60_000);
  const incident: DemoIncident = {
    deployment,
    fault,
    start,
    end: new Date(now.getTime() + 3_600_000),
    deploy: fault === 'bad_deploy' ? { version: 'v6', previous: 'v4', actor: 'alice' } : undefined,
  };
  const assistant = await testAssistant(
    { DEMO: 'on', DEMO_BACKFILL_DAYS: '1' },
    { demoTraffic: false, now: () => now, demoIncidents: [incident] },
  );
  if (fault === 'bad_deploy') {
    // The deploy also went through the deployment history, as one made by the assistant does, so v4 can be rolled back to.
    const history = new DeploymentHistory(assistant.db);
    const current = history.current(deployment, 'prod')?.spec;
    if (current) history.record({ ...current, version: 'v6' }, 'alice', 'local', 'active');
  }
  const changes = new ChangeEventRepository(assistant.db);
  const ids = (options.events ?? []).map((event) =>
    changes.add({
      time: new Date(start.getTime() - event.minutesBefore * 60_000),
      kind: event.kind,
      target: event.target,
      description: event.description,
      source: 'test',
    }),
  );
  return { assistant, now, start, deployment, eventIds: ids.map((id) => `change-${id}`) };
}
