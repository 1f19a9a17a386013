import type { RcaEvent } from '../analysis/rca/change-events.ts';
import type { DeploymentHistory } from '../deployments/deployment-history.ts';
import type { ChangeEventRepository } from '../store/change-event-repository.ts';

/**
 * Every change the assistant knows of in a time range, as root-cause analysis reads them: the
 * `change_events` table (alerts, the demo's history, changes other tools reported) and the
 * deployment history (deploys, rollbacks, scaling and config changes that went through the
 * assistant, with who asked). History rows the system wrote at start (what already ran) are not changes.
 */
export function changeFeed(changes: ChangeEventRepository, history: DeploymentHistory) {
  return async (start: Date, end: Date): Promise<RcaEvent[]> => {
    const recorded: RcaEvent[] = changes.list(start, end).map((event) => ({
      id: `change-${event.id}`,
      time: event.time,
      kind: event.kind,
      target: event.target,
      description: `${event.description}${event.actor ? ` (by ${event.actor})` : ''}`,
    }));
    const rollouts: RcaEvent[] = history
      .changesBetween(start, end)
      .filter((change) => change.actor !== 'system')
      .map((change) => ({
        id: `deploy-${change.id}`,
        time: change.at,
        kind: change.kind,
        target: change.name,
        description: `${change.description} (by ${change.actor})`,
      }));
    return [...recorded, ...rollouts].sort((a, b) => a.time.getTime() - b.time.getTime());
  };
}
