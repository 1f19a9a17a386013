import { createServer } from 'node:net';
import type { AuditLog } from '../approvals/audit-log.ts';
import type { JobRepository } from '../jobs/job-repository.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeploymentHistory, HistoryEntry } from './deployment-history.ts';
import type { DeploymentSpec } from './deployment-spec.ts';
import type { LedgerRecord, ProcessLedger } from './process-ledger.ts';
import { type LiveProcess, stopProcesses } from './process-table.ts';

export interface ReconcileOptions {
  ledger: ProcessLedger;
  history: DeploymentHistory;
  jobs: JobRepository;
  audit: AuditLog;
  logger: Logger;
  /** Whether this start runs again what the history says runs (the demo fleet does; without it nothing does). */
  restartsRecorded: boolean;
  /** Between SIGTERM and SIGKILL. Default 5 s. */
  graceMs?: number;
}

/** One orphan's record and what stopping it took. */
export interface StoppedOrphan {
  record: LedgerRecord;
  /** Its live processes when found (none when it had already exited). */
  processes: LiveProcess[];
  /** Pids that needed SIGKILL after the grace period. */
  killed: number[];
  /** Pids that outlived SIGKILL (a process stuck in the kernel). */
  survivors: number[];
}

export interface OrphanReport {
  stopped: StoppedOrphan[];
  /** Rollouts the history now records as interrupted. */
  interruptedRollouts: Array<{ name: string; environment: string; version: string; note: string }>;
  /** Jobs marked interrupted because their processes were found; their threads are told by `JobRunner.recover`. */
  interruptedJobs: number[];
}

/**
 * Runs at start, before anything serves: finds the children an assistant that was killed
 * (kill -9, the OOM killer, a power cut) left behind — ledger records whose owner no longer
 * runs on this machine — and stops them: SIGTERM to each process group, SIGKILL after the grace
 * period, so their ports are free again. Replicas of what the history says runs are stopped
 * too and started again by the fleet, not adopted: a process that is not our child cannot be
 * waited for, its stderr went to the dead assistant, and the stable ports it was reached by
 * closed with the assistant anyway. A replica of a rollout that had not been recorded gets a
 * history entry saying the rollout was interrupted and what runs instead; a trial's or job's
 * job is marked interrupted with the reason. Each action is logged and audited.
 */
export async function reconcileOrphans(options: ReconcileOptions): Promise<OrphanReport> {
  const { ledger, logger } = options;
  const report: OrphanReport = { stopped: [], interruptedRollouts: [], interruptedJobs: [] };
  const others = ledger.records().filter((record) => !ledger.isMine(record));
  const elsewhere = others.filter((record) => record.owner.machine !== ledger.owner.machine);
  if (elsewhere.length > 0)
    logger.info(
      { records: elsewhere.length },
      'the process ledger holds processes of another machine or container on this DATA_DIR; they are left to it',
    );
  const orphans = others.filter(
    (record) => record.owner.machine === ledger.owner.machine && !ledger.table.isRunning(record.owner) && ledger.claim(record),
  );
  if (orphans.length === 0) return report;

  const found = ledger.table.find(orphans);
  report.stopped = await Promise.all(
    orphans.map(async (record) => {
      const processes = found.get(record.token) ?? [];
      return { record, processes, ...(await stopProcesses(ledger.table, processes, options.graceMs ?? 5000)) };
    }),
  );
  for (const orphan of report.stopped) {
    await checkPortFree(orphan, logger);
    audit(options, orphan);
  }

  const replicas = report.stopped.filter((orphan) => orphan.record.kind === 'replica' && orphan.record.spec);
  const byDeployment = groupBy(replicas, ({ record }) => JSON.stringify([record.spec?.name, record.spec?.environment]));
  for (const group of byDeployment.values()) reconcileDeployment(options, report, group);
  for (const orphan of report.stopped.filter((o) => o.record.kind !== 'replica')) interruptJob(options, report, orphan);
  for (const orphan of report.stopped) ledger.remove(orphan.record.id);
  return report;
}

/** Stopped replicas of one deployment: those of a rollout the history never got are an interrupted rollout. */
function reconcileDeployment(options: ReconcileOptions, report: OrphanReport, orphans: StoppedOrphan[]): void {
  const { name, environment } = (orphans[0] as StoppedOrphan).record.spec as DeploymentSpec;
  const current = options.history.current(name, environment);
  // Replicas started after the last recorded rollout, of another spec, belong to one that did not finish.
  const unrecorded = orphans.filter(
    ({ record }) => !(current && sameServing(record.spec as DeploymentSpec, current.spec)) && isAfter(record, current),
  );
  for (const group of groupBy(unrecorded, (o) => servingKey(o.record.spec as DeploymentSpec)).values()) {
    const spec = group[0]?.record.spec as DeploymentSpec;
    const note = interruptedNote(spec, group, current, options.restartsRecorded);
    options.history.recordInterrupted(spec, 'local', note);
    report.interruptedRollouts.push({ name, environment, version: spec.version, note });
    options.logger.warn({ deployment: `${name}/${environment}`, version: spec.version, kept: current?.version }, note);
    options.audit.append({
      actor: 'system',
      action: 'rollout_interrupted',
      deployment: name,
      environment,
      details: { version: spec.version, kept: current?.version ?? null, note },
    });
  }
}

function interruptedNote(
  spec: DeploymentSpec,
  orphans: StoppedOrphan[],
  current: HistoryEntry | undefined,
  restartsRecorded: boolean,
): string {
  const { name, environment, version } = spec;
  const owner = orphans[0]?.record.owner.pid;
  const what =
    current?.spec.version !== version
      ? `The rollout of ${name} ${version} to ${environment}`
      : current.spec.replicas !== spec.replicas
        ? `The change of ${name} in ${environment} to ${spec.replicas} replica${spec.replicas === 1 ? '' : 's'}`
        : `The redeploy of ${name} ${version} in ${environment} with new settings`;
  const servedAt = orphans.map((o) => o.record.servingSince).find((at) => at !== undefined);
  const when = servedAt
    ? `after ${version} took over the deployment's address at ${servedAt.toISOString()}, before the history was written`
    : orphans.some((o) => o.record.pid !== undefined)
      ? 'after its new replica started, before it served'
      : 'before its replica started';
  const place = ({ record }: StoppedOrphan) =>
    `pid ${record.pid ?? 'never started'}${record.port ? `, port ${record.port}` : ''}`;
  const stopped = orphans.filter((o) => o.processes.length > 0).map(place);
  const gone = orphans.filter((o) => o.processes.length === 0).map(place);
  const cleared = [
    stopped.length > 0 ? `Its new replica${stopped.length === 1 ? ' was' : 's were'} stopped (${stopped.join('; ')}).` : '',
    gone.length > 0 ? `Its new replica${gone.length === 1 ? ' was' : 's were'} already gone (${gone.join('; ')}).` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const runs = current
    ? restartsRecorded
      ? `The history keeps ${current.version}, which runs again.`
      : `The history keeps ${current.version}, but nothing serves ${name} in ${environment} now: the local runtime starts deployments again only with the demo fleet (DEMO=on); deploy ${current.version} again to serve it.`
    : `Nothing of ${name} was recorded in ${environment} before, so nothing runs there now.`;
  return `${what} was interrupted: the assistant (pid ${owner}) ended without shutting down ${when}. ${cleared} ${runs}`;
}

/** A trial's or job command's job ends interrupted, saying what ran and that it was stopped. */
function interruptJob(options: ReconcileOptions, report: OrphanReport, orphan: StoppedOrphan): void {
  const { record, processes } = orphan;
  if (record.jobId === undefined) return;
  const what =
    record.kind === 'trial'
      ? `trial ${record.spec?.name ?? ''} ${record.spec?.version ?? ''}`.replace(/\s+/g, ' ').trim()
      : `its command (${record.command.join(' ').slice(0, 120)})`;
  const reason = `the assistant (pid ${record.owner.pid}) ended without shutting down while ${what} ran; ${
    processes.length > 0
      ? `its process${processes.length === 1 ? '' : 'es'} (pid ${processes.map((p) => p.pid).join(', ')}) ${processes.length === 1 ? 'was' : 'were'} stopped at the next start`
      : 'its process had already exited'
  }`;
  if (!options.jobs.transition(record.jobId, ['queued', 'running'], 'interrupted', { error: reason })) return;
  if (!report.interruptedJobs.includes(record.jobId)) report.interruptedJobs.push(record.jobId);
  options.logger.warn({ job: record.jobId }, `job ${record.jobId} interrupted: ${reason}`);
}

function audit(options: ReconcileOptions, { record, processes, killed, survivors }: StoppedOrphan): void {
  const description = `${record.kind}${record.spec ? ` ${record.spec.name}/${record.spec.environment} ${record.spec.version}` : ''}${record.jobId === undefined ? '' : ` of job ${record.jobId}`}`;
  const details = {
    kind: record.kind,
    version: record.spec?.version ?? null,
    job: record.jobId ?? null,
    pid: record.pid ?? null,
    port: record.port ?? null,
    owner: record.owner.pid,
    stopped: processes.map((p) => p.pid),
    killed,
    survivors,
  };
  const fields = { ...details, deployment: record.spec ? `${record.spec.name}/${record.spec.environment}` : undefined };
  if (survivors.length > 0)
    options.logger.error(fields, `left by a killed assistant, ${description} outlived SIGKILL (pids ${survivors.join(', ')})`);
  else if (processes.length > 0)
    options.logger.warn(
      fields,
      `stopped ${description} (pid ${processes.map((p) => p.pid).join(', ')}) left running by a killed assistant${killed.length > 0 ? ` (SIGKILL after the grace period: ${killed.join(', ')})` : ''}`,
    );
  else options.logger.info(fields, `dropped the ledger record of ${description}: its process had already exited`);
  options.audit.append({
    actor: 'system',
    action: processes.length > 0 ? 'orphan_stopped' : 'orphan_gone',
    deployment: record.spec?.name,
    environment: record.spec?.environment,
    details,
  });
}

/** Says so when a stopped orphan's port is still held (by a program outside the assistant). */
async function checkPortFree({ record }: StoppedOrphan, logger: Logger): Promise<void> {
  if (!record.port) return;
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(record.port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!free)
    logger.warn(
      { port: record.port, pid: record.pid },
      `port ${record.port} is still in use after its orphan was stopped: another program holds it`,
    );
}

/** The settings that make two specs serve the same thing (demo traffic aside); older history rows may lack the last three. */
function servingKey(spec: DeploymentSpec): string {
  return JSON.stringify([
    spec.version,
    spec.model,
    spec.gpu,
    spec.gpuCount,
    spec.dtype,
    spec.replicas ?? 1,
    spec.maxNumSeqs ?? 64,
    spec.maxNumBatchedTokens ?? 8192,
  ]);
}

function sameServing(a: DeploymentSpec, b: DeploymentSpec): boolean {
  return servingKey(a) === servingKey(b);
}

/** Started after the history's current entry was written (or with nothing recorded). */
function isAfter(record: LedgerRecord, current: HistoryEntry | undefined): boolean {
  return !current || record.startedAt.getTime() >= current.at.getTime();
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
