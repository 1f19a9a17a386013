import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { FAULT_NAMES, FAULTS, faultName, type Scenario, scenarioSchema } from '../demo/faults.ts';
import { type FleetDeploymentDescription, readLiveFleet } from '../demo/fleet-file.ts';
import { DeploymentHistory } from '../deployments/deployment-history.ts';
import { AppError, describeError } from '../errors.ts';
import { deriveSeed } from '../random/seeded-random.ts';
import { openDatabase } from '../store/database.ts';
import { parseDuration } from '../time/time-range.ts';

export const DEMO_USAGE = `  demo status                  the running demo fleet: deployments, load, faults
  demo fault <name> --deployment D [--duration 10m] [--seed N]
                               inject a fault: ${FAULT_NAMES.join(', ')}
  demo clear [--deployment D]  clear faults
  demo scenario FILE           replay a scenario file (JSON: {"seed": 1, "steps": [{"after_s": 0, "fault": "bad_deploy", "deployment": "mistral-7b", "duration_s": 600}]})`;

interface Io {
  stdout: NodeJS.WritableStream;
}

/** `llmops demo …`: talks to the fleet that a running assistant owns, through its servers' admin endpoints. */
export async function runDemoCommand(args: string[], config: Config, io: Io): Promise<number> {
  const fleet = readLiveFleet(config.DATA_DIR);
  if (!fleet) {
    throw new AppError(
      'demo_not_running',
      `No demo fleet is running on DATA_DIR=${config.DATA_DIR}: start the assistant (npm start) with DEMO=on first.`,
    );
  }
  const [sub, ...rest] = args;
  const find = (name: string | undefined): FleetDeploymentDescription => {
    const found = fleet.deployments.find((d) => d.name === name);
    if (!found)
      throw new AppError(
        'demo_unknown_deployment',
        `--deployment must be one of ${fleet.deployments.map((d) => d.name).join(', ')}${name ? `, not "${name}"` : ''}`,
      );
    return found;
  };
  if (sub === 'status') {
    for (const deployment of fleet.deployments) {
      const state = await admin(deployment, 'GET', '/admin/state');
      io.stdout.write(`${deployment.name} (${deployment.environment}) ${deployment.url}: ${JSON.stringify(state)}\n`);
    }
    return 0;
  }
  if (sub === 'fault') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { deployment: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' } },
      allowPositionals: true,
    });
    const fault = faultName.safeParse(positionals[0]);
    if (!fault.success)
      throw new AppError(
        'demo_fault_unknown',
        `fault ${positionals[0] ? `"${positionals[0]}" ` : ''}must be one of ${FAULT_NAMES.join(', ')}`,
      );
    const durationMs = values.duration ? parseDuration(values.duration) : undefined;
    if (values.duration && durationMs === undefined)
      throw new AppError('demo_duration_invalid', `--duration must look like 30s, 10m or 2h, not "${values.duration}"`);
    const target = find(values.deployment);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    await admin(target, 'POST', '/admin/faults', {
      fault: fault.data,
      ...(durationMs ? { duration_s: durationMs / 1000 } : {}),
      ...(seed !== undefined ? { seed } : {}),
    });
    if (fault.data === 'bad_deploy') recordSimulatedDeploy(config, target);
    io.stdout.write(
      `Injected ${fault.data} into ${target.name}${durationMs ? ` for ${values.duration}` : ' until cleared'}: ${FAULTS[fault.data].about}.\n`,
    );
    return 0;
  }
  if (sub === 'clear') {
    const { values } = parseArgs({ args: rest, options: { deployment: { type: 'string' } } });
    const targets = values.deployment ? [find(values.deployment)] : fleet.deployments;
    for (const target of targets) await admin(target, 'DELETE', '/admin/faults');
    io.stdout.write(`Cleared faults on ${targets.map((t) => t.name).join(', ')}.\n`);
    return 0;
  }
  if (sub === 'scenario') {
    const file = rest[0];
    if (!file) throw new AppError('demo_scenario_missing', 'give the scenario file: llmops demo scenario FILE');
    const scenario = readScenario(file);
    for (const step of scenario.steps) find(step.deployment);
    const started = Date.now();
    for (const [index, step] of [...scenario.steps].sort((a, b) => a.after_s - b.after_s).entries()) {
      const wait = started + step.after_s * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const seed = scenario.seed === undefined ? undefined : deriveSeed(scenario.seed, `step:${index}`);
      await admin(find(step.deployment), 'POST', '/admin/faults', {
        fault: step.fault,
        ...(step.duration_s ? { duration_s: step.duration_s } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
      if (step.fault === 'bad_deploy') recordSimulatedDeploy(config, find(step.deployment));
      io.stdout.write(
        `+${step.after_s}s ${step.fault} → ${step.deployment}${step.duration_s ? ` for ${step.duration_s}s` : ''}\n`,
      );
    }
    return 0;
  }
  throw new AppError('demo_usage', `unknown demo command "${sub ?? ''}"; expected status, fault, clear or scenario`);
}

function readScenario(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppError('demo_scenario_invalid', `${file}: not a readable JSON file (${describeError(error)})`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'demo_scenario_invalid',
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

async function admin(target: FleetDeploymentDescription, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(5000),
  }).catch((error: unknown) => {
    throw new AppError('demo_unreachable', `${target.name} at ${target.url} did not answer: ${describeError(error)}`);
  });
  const payload = (await response.json()) as unknown;
  if (!response.ok)
    throw new AppError('demo_admin_failed', `${target.name} refused ${method} ${path}: ${JSON.stringify(payload)}`);
  return payload;
}

/**
 * A bad deploy is a deploy: recorded in the deployment history as one through the assistant
 * would be, so root-cause analysis finds the change to blame and the rollback it suggests can be
 * proposed.
 */
function recordSimulatedDeploy(config: Config, target: FleetDeploymentDescription): void {
  const db = openDatabase(config.DATA_DIR);
  try {
    const history = new DeploymentHistory(db);
    const current = history.current(target.name, target.environment)?.spec;
    if (current) history.record({ ...current, version: `${target.version}-hotfix` }, 'demo', 'demo', 'active');
  } finally {
    db.close();
  }
}
