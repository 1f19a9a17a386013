import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scenario } from './scenario.ts';

/** Where a written scenario's files are, as `llmops rca` takes them. */
export interface ScenarioPaths {
  metrics: string;
  logs?: string | undefined;
  events?: string | undefined;
}

/** Writes a scenario's files under `dir` (metrics/, app.log, events.json) and its truth to truth.json. */
export async function writeScenario(scenario: Scenario, dir: string): Promise<ScenarioPaths> {
  const metrics = join(dir, 'metrics');
  await mkdir(metrics, { recursive: true });
  for (const [name, body] of Object.entries(scenario.files.metrics)) await writeFile(join(metrics, name), body);
  const paths: ScenarioPaths = { metrics };
  if (scenario.files.logs !== undefined) {
    paths.logs = join(dir, 'app.log');
    await writeFile(paths.logs, scenario.files.logs);
  }
  if (scenario.files.events !== undefined) {
    paths.events = join(dir, 'events.json');
    await writeFile(paths.events, scenario.files.events);
  }
  await writeFile(
    join(dir, 'truth.json'),
    JSON.stringify(
      { seed: scenario.seed, deployment: scenario.deployment, truth: scenario.truth, about: scenario.about },
      null,
      2,
    ),
  );
  return paths;
}

/** The arguments of `llmops rca` for a written scenario (naming the affected deployment, as whoever was paged would, unless told not to). */
export function rcaArgs(scenario: Scenario, paths: ScenarioPaths, nameDeployment = true): string[] {
  return [
    '--metrics',
    paths.metrics,
    ...(paths.logs ? ['--logs', paths.logs] : []),
    ...(paths.events ? ['--events', paths.events] : []),
    ...(nameDeployment ? ['--deployment', scenario.deployment] : []),
    '--json',
  ];
}
