import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { createToolCatalogue } from '../tools/index.ts';
import { createChatModel } from './agent/chat-model-factory.ts';
import { configuredAgent } from './agent/configured-agent.ts';
import { askedFor } from './agent/offline-planner/asked-for.ts';
import type { ToolLoopAgent } from './agent/tool-loop-agent.ts';
import { DEFAULT_POLICY_FILE, loadPolicy } from './approvals/approval-policy.ts';
import { Approvals, type ThreadNotifier } from './approvals/approvals.ts';
import { AuditLog } from './approvals/audit-log.ts';
import { type Proposal, ProposalRepository } from './approvals/proposal-repository.ts';
import type { Config } from './config.ts';
import { ConversationService } from './conversation/conversation-service.ts';
import { DemoFleet } from './demo/demo-fleet.ts';
import { DemoRegistry } from './demo/demo-registry.ts';
import { claimFleet, releaseFleet, waitForLiveFleet } from './demo/fleet-file.ts';
import { scrapeMember } from './demo/fleet-scraping.ts';
import type { DemoIncident } from './demo/history-backfill.ts';
import { DeploymentHistory } from './deployments/deployment-history.ts';
import { type DeploymentRegistry, EMPTY_REGISTRY } from './deployments/deployment-registry.ts';
import { KubernetesBackend } from './deployments/kubernetes-backend.ts';
import { LocalRuntime } from './deployments/local-runtime.ts';
import { reconcileOrphans } from './deployments/orphan-reconciler.ts';
import { ProcessLedger } from './deployments/process-ledger.ts';
import { ReplicaSlots } from './deployments/replica-slots.ts';
import { RolloutService } from './deployments/rollout-service.ts';
import { AppError } from './errors.ts';
import { changeFeed } from './incidents/change-feed.ts';
import { createLogSource } from './integrations/logs/create-log-source.ts';
import type { LogSource } from './integrations/logs/log-source.ts';
import type { JobExecutor } from './jobs/job-executor.ts';
import { JobRepository } from './jobs/job-repository.ts';
import { type JobNotifier, JobRunner } from './jobs/job-runner.ts';
import { KubernetesJobExecutor } from './jobs/kubernetes-job-executor.ts';
import { LocalJobExecutor } from './jobs/local-job-executor.ts';
import { EmbeddedSource } from './metrics/embedded/embedded-source.ts';
import { MetricStore } from './metrics/embedded/metric-store.ts';
import { Scraper } from './metrics/embedded/scraper.ts';
import type { MetricsSource } from './metrics/metrics-source.ts';
import { PrometheusSource } from './metrics/prometheus-source.ts';
import type { Logger } from './observability/logger.ts';
import { AssistantMetrics } from './observability/metrics.ts';
import { compressionCommands } from './optimization/compression-commands.ts';
import { Optimizations } from './optimization/optimization-service.ts';
import { ChangeEventRepository } from './store/change-event-repository.ts';
import { type Db, openDatabase } from './store/database.ts';
import { DatabaseHealth } from './store/database-health.ts';
import { startupStorageError } from './store/storage-errors.ts';
import { storageOf } from './store/storage-monitor.ts';
import { ThreadRepository } from './store/thread-repository.ts';
import { ToolExecutor } from './tools/tool-executor.ts';

export interface Assistant {
  config: Config;
  approvals: Approvals;
  audit: AuditLog;
  rollouts: RolloutService;
  /** Where proposal outcomes are told (a surface sets it: Slack posts in the thread). */
  setNotifier(notify: ThreadNotifier): void;
  /** Reports proposals a previous process left executing as interrupted; call once a surface can tell their threads. */
  /** Marks proposals and jobs a previous process left running as interrupted (the service does this at start). */
  recover(): Promise<Proposal[]>;
  jobs: JobRunner;
  /** Where job progress goes: Slack edits one message per job; the terminal prints it. */
  setJobNotifier(notify: JobNotifier): void;
  db: Db;
  metrics: AssistantMetrics;
  metricsSource: MetricsSource;
  /** Where log lines come from (LOG_SOURCE). */
  logs: LogSource;
  deployments: DeploymentRegistry;
  /** The demo fleet when this process runs it. */
  fleet: DemoFleet | undefined;
  scraper: Scraper | undefined;
  executor: ToolExecutor;
  agent: ToolLoopAgent;
  conversation: ConversationService;
  threads: ThreadRepository;
  provider: string;
  modelName: string;
  /** "ok", or why the database cannot be read or written and what to do (for /healthz; at most a second old). */
  checkDatabase(): string;
  close(): Promise<void>;
}

/** Kubernetes from KUBECONFIG, ~/.kube/config or the in-cluster service account, as kubectl finds it. */
function jobExecutor(config: Config, ledger: ProcessLedger): JobExecutor {
  if (config.JOB_BACKEND === 'local') return new LocalJobExecutor({ ledger });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return new KubernetesJobExecutor({ kubeConfig, namespace: config.KUBE_NAMESPACE });
}

function kubernetesBackend(config: Config): KubernetesBackend {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return new KubernetesBackend({ kubeConfig, namespace: config.KUBE_NAMESPACE, image: config.VLLM_IMAGE });
}

export interface AssistantOverrides {
  /** A chat model to use instead of the configured one (tests script the model). */
  model?: { model: BaseChatModel; provider: string; modelName: string };
  now?: () => Date;
  defaultMetrics?: boolean;
  /** Start the demo's traffic generators (tests that need a quiet fleet turn them off). */
  demoTraffic?: boolean;
  /** Faults in the back-filled history instead of the default past incident (scenario tests). */
  demoIncidents?: readonly DemoIncident[];
}

/**
 * The composition root shared by `npm start`, the `llmops` command and the tests: one path.
 * With DEMO=on it starts the demo fleet (back-filling history on a fresh data directory)
 * unless another live process on the same DATA_DIR already runs it, in which case it uses
 * that one. Metrics come from Prometheus when PROMETHEUS_URL is set, else from the embedded
 * scraper, which runs in the process that owns the fleet.
 */
export async function startAssistant(config: Config, logger: Logger, overrides: AssistantOverrides = {}): Promise<Assistant> {
  const db = openDatabase(config.DATA_DIR);
  let fleet: DemoFleet | undefined;
  let scraper: Scraper | undefined;
  let slots: ReplicaSlots | undefined;
  let runtime: LocalRuntime | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let approvedTimer: NodeJS.Timeout | undefined;
  const stopBackground = async () => {
    clearInterval(expiryTimer);
    clearInterval(approvedTimer);
    await runtime?.stopAll();
    scraper?.stop();
    await fleet?.stop();
    await slots?.close();
    if (config.DEMO === 'on') releaseFleet(config.DATA_DIR);
  };
  try {
    // The process that owns the demo fleet owns its replicas' stable ports too (DATA_DIR/demo/ports.json).
    const fleetSlots =
      config.DEMO === 'on' && claimFleet(config.DATA_DIR)
        ? new ReplicaSlots({ file: join(config.DATA_DIR, 'demo', 'ports.json'), logger })
        : undefined;
    slots = fleetSlots;
    const ledger = new ProcessLedger(db);
    const localRuntime = new LocalRuntime({
      command: config.LOCAL_RUNTIME_COMMAND,
      dataDir: config.DATA_DIR,
      logger,
      slots: fleetSlots,
      ledger,
    });
    runtime = localRuntime;
    const history = new DeploymentHistory(db);
    // Before anything starts or serves: children a killed assistant left running are stopped and the history told.
    const orphans = await reconcileOrphans({
      ledger,
      history,
      jobs: new JobRepository(db),
      audit: new AuditLog(db),
      logger,
      restartsRecorded: fleetSlots !== undefined,
    });
    const store = new MetricStore(db);
    const metricsSource: MetricsSource = config.PROMETHEUS_URL
      ? new PrometheusSource({
          url: config.PROMETHEUS_URL,
          bearerToken: config.PROMETHEUS_BEARER_TOKEN,
          username: config.PROMETHEUS_USERNAME,
          password: config.PROMETHEUS_PASSWORD,
          timeoutMs: config.PROMETHEUS_TIMEOUT_MS,
          deploymentLabel: config.METRICS_DEPLOYMENT_LABEL,
          scrapeIntervalSeconds: config.METRICS_SCRAPE_INTERVAL_S,
        })
      : new EmbeddedSource(store, config.METRICS_SCRAPE_INTERVAL_S);

    let deployments: DeploymentRegistry = EMPTY_REGISTRY;
    // The local runtime's replicas live in the process that owns the fleet: approvals made here are run there.
    let runtimeOwner: number | undefined;
    if (config.DEMO === 'on') {
      if (fleetSlots) {
        const now = overrides.now?.() ?? new Date();
        fleet = new DemoFleet({
          dataDir: config.DATA_DIR,
          seed: config.DEMO_SEED,
          logger,
          traffic: overrides.demoTraffic ?? true,
          // It runs what the deployment history says, on the slots' stable ports.
          history,
          slots: fleetSlots,
          runtime: localRuntime,
          backfill: config.PROMETHEUS_URL
            ? undefined
            : {
                store,
                changes: new ChangeEventRepository(db),
                days: config.DEMO_BACKFILL_DAYS,
                intervalSeconds: config.METRICS_SCRAPE_INTERVAL_S,
                now,
                incidents: overrides.demoIncidents,
              },
        });
        await fleet.start();
        const running = fleet;
        deployments = new DemoRegistry(() => running.describe().deployments);
        if (!config.PROMETHEUS_URL) {
          scraper = new Scraper({
            store,
            intervalSeconds: config.METRICS_SCRAPE_INTERVAL_S,
            retentionDays: config.METRICS_RETENTION_DAYS,
            logger,
          });
          for (const member of fleet.members) scrapeMember(scraper, fleet, member);
          // The first scrape lands before the first question, so "right now" has an answer.
          await scraper.scrapeOnce();
          scraper.start(false);
        }
      } else {
        // Another process on this DATA_DIR runs the fleet (and scrapes it); use that one.
        const live = await waitForLiveFleet(config.DATA_DIR, 120_000);
        if (!live) {
          throw new AppError(
            'demo_unavailable',
            `Another process holds the demo fleet of DATA_DIR=${config.DATA_DIR} but it did not become ready within 120 s; stop it or set DEMO=off`,
          );
        }
        deployments = new DemoRegistry(() => live.deployments);
        runtimeOwner = live.pid;
      }
    }

    const backend = config.DEPLOY_BACKEND === 'kubernetes' ? kubernetesBackend(config) : localRuntime;
    const rollouts = new RolloutService({
      backend,
      history,
      // The fleet, its traffic and the scraper follow a finished rollout.
      onRolledOut: async (spec, urls) => {
        if (!fleet) return;
        const member = await fleet.adopt(spec, urls);
        if (scraper) scrapeMember(scraper, fleet, member);
      },
    });
    const metrics = new AssistantMetrics({ defaultMetrics: overrides.defaultMetrics ?? true });
    storageOf(db).attach({ metrics, logger });
    const databaseHealth = new DatabaseHealth(db);
    const registry = deployments;
    const audit = new AuditLog(db);
    const logs = createLogSource(config, {
      files: () =>
        registry.names().map((deployment) => ({ deployment, path: join(config.DATA_DIR, 'demo', 'logs', `${deployment}.log`) })),
    });
    const jobRepository = new JobRepository(db);
    const proposals = new ProposalRepository(db);
    const optimizations = new Optimizations({
      jobs: jobRepository,
      history,
      registry,
      proposals,
      executor: jobExecutor(config, ledger),
      commands: compressionCommands(config),
      artifactDir: join(config.DATA_DIR, 'artifacts'),
      backend,
      chartDir: join(config.DATA_DIR, 'charts'),
    });
    let notifyJob: JobNotifier = async (threadId, key, text, final) => logger.info({ thread: threadId, job: key, final }, text);
    const jobs = new JobRunner({
      jobs: jobRepository,
      handlers: optimizations.handlers(),
      logger,
      notify: (threadId, key, text, final) => notifyJob(threadId, key, text, final),
      onFinished: (job) => metrics.jobs.inc({ kind: job.kind, state: job.state }),
    });
    const tools = createToolCatalogue({
      metrics: metricsSource,
      deployments: registry,
      chartDir: join(config.DATA_DIR, 'charts'),
      scrapeIntervalSeconds: config.METRICS_SCRAPE_INTERVAL_S,
      rollouts,
      audit,
      logs,
      changeEvents: changeFeed(new ChangeEventRepository(db), history),
      optimizations,
    });
    const executor = new ToolExecutor(tools, { timeoutMs: config.TOOL_TIMEOUT_MS, metrics, logger });
    let notify: ThreadNotifier = async (threadId, text, kind) => logger.info({ thread: threadId, kind }, text);
    const policy = loadPolicy(config.APPROVAL_POLICY_FILE ?? DEFAULT_POLICY_FILE);
    const approvals = new Approvals({
      policy,
      terminalOperator: policy.terminal.approve_all_without_slack && !config.SLACK_BOT_TOKEN,
      ...(runtimeOwner !== undefined && config.DEPLOY_BACKEND === 'local'
        ? { runsElsewhere: { owner: `the assistant running as pid ${runtimeOwner}` } }
        : {}),
      proposals,
      audit,
      executor,
      logger,
      askedFor: askedFor(() => registry.names()),
      notify: (threadId, text, kind) => notify(threadId, text, kind),
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    executor.useGate(approvals.gate);
    optimizations.attach(jobs, (name, args, context) => executor.execute(name, args, context));
    expiryTimer = setInterval(() => void approvals.expireDue(), 60_000);
    expiryTimer.unref();
    // Proposals approved by another process on this DATA_DIR (`llmops approve`) run here, where the runtime is.
    if (runtimeOwner === undefined) {
      approvedTimer = setInterval(() => void approvals.runApproved(), 1_000);
      approvedTimer.unref();
    }
    const chosen = overrides.model ?? (await createChatModel(config, () => registry.names()));
    const agent = configuredAgent(config, {
      ...chosen,
      executor,
      metrics,
      logger,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    const threads = new ThreadRepository(db);
    const conversation = new ConversationService({
      agent,
      threads,
      metrics,
      logger,
      maxMessageChars: config.MAX_MESSAGE_CHARS,
      historyMessages: config.THREAD_HISTORY_MESSAGES,
    });
    return {
      config,
      approvals,
      audit,
      rollouts,
      setNotifier: (next) => {
        notify = next;
      },
      recover: async () => {
        await jobs.recover(orphans.interruptedJobs);
        const interrupted = await approvals.recoverInterrupted();
        if (runtimeOwner === undefined) await approvals.runApproved();
        return interrupted;
      },
      jobs,
      setJobNotifier: (next) => {
        notifyJob = next;
      },
      db,
      metrics,
      metricsSource,
      logs,
      deployments: registry,
      fleet,
      scraper,
      executor,
      agent,
      conversation,
      threads,
      provider: chosen.provider,
      modelName: chosen.modelName,
      checkDatabase: () => databaseHealth.check(),
      close: async () => {
        await jobs.close();
        await stopBackground();
        db.close();
      },
    };
  } catch (error) {
    await stopBackground();
    db.close();
    // A database failure while starting (a full disk during the back-fill) names the data folder and what to do.
    throw startupStorageError(error, db.name);
  }
}
