import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type Assistant, startAssistant } from './app.ts';
import { runTerminalChat } from './chat/local/terminal-chat.ts';
import { TerminalIncidentChannel } from './chat/local/terminal-incident-channel.ts';
import { forTerminal } from './chat/local/terminal-text.ts';
import type { SlackSurface } from './chat/slack/slack-surface.ts';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.ts';
import { describeError } from './errors.ts';
import { healthReport } from './http/health-report.ts';
import { createHttpServer, listen } from './http/http-server.ts';
import { alertmanagerRoute } from './incidents/alertmanager-route.ts';
import { IncidentRepository } from './incidents/incident-repository.ts';
import { IncidentService } from './incidents/incident-service.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { Redactor } from './security/secret-redactor.ts';
import { ChangeEventRepository } from './store/change-event-repository.ts';

/**
 * `npm start`: the HTTP port (/healthz, /metrics) plus, on a terminal, the local chat;
 * without a terminal it runs as a service until SIGINT or SIGTERM.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const slackMode = config.SLACK_BOT_TOKEN !== undefined;
  // Slack replaces the terminal chat; without a terminal the assistant runs as a service.
  const interactive = !slackMode && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  // On a terminal the chat owns the screen, so logs go to a file; a service logs JSON to stdout.
  let logFile: string | undefined;
  if (interactive) {
    mkdirSync(join(config.DATA_DIR, 'logs'), { recursive: true });
    logFile = join(config.DATA_DIR, 'logs', 'assistant.log');
  }
  const logger = createLogger(config.LOG_LEVEL, logFile ? pino.destination({ dest: logFile, sync: false }) : process.stdout);
  const assistant = await startAssistant(config, logger);
  let slack: SlackSurface | undefined;
  try {
    slack = slackMode ? await startSlackSurface(config, assistant, logger) : undefined;
    if (slack) {
      assistant.setNotifier(slack.notify);
      assistant.setJobNotifier(slack.jobProgress);
    }
  } catch (error) {
    await assistant.close();
    throw error;
  }
  if (slack && !config.ALERT_CHANNEL) logger.warn('ALERT_CHANNEL is not set: Alertmanager incidents go to the log, not to Slack');
  const incidents = new IncidentService({
    incidents: new IncidentRepository(assistant.db),
    channel:
      slack && config.ALERT_CHANNEL
        ? slack.incidentChannel(config.ALERT_CHANNEL)
        : new TerminalIncidentChannel(assistant.conversation, logger, interactive ? process.stdout : undefined),
    logger,
    changes: new ChangeEventRepository(assistant.db),
    // Alert texts are posted to Slack and read by the model: secrets (and REDACT_PATTERNS) go first.
    redactor: new Redactor({ emails: false, extraPatterns: config.REDACT_PATTERNS }),
    metrics: assistant.metrics,
  });
  const server = createHttpServer({
    routes: {
      '/alertmanager': alertmanagerRoute(incidents, logger, config.ALERTMANAGER_TOKEN),
      ...(slack?.requestListener ? { '/slack/events': slack.requestListener } : {}),
    },
    metrics: assistant.metrics,
    logger,
    health: () => healthReport(assistant),
  });

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping');
    server.close();
    server.closeAllConnections();
    void (slack?.stop() ?? Promise.resolve())
      .then(() => assistant.close())
      .finally(() => {
        logger.flush?.();
        process.exitCode = code;
        // Timers of the demo fleet are unref'd; open sockets of in-flight requests are not worth waiting for.
        setTimeout(() => process.exit(code), 500).unref();
      });
  };
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));

  let port: number;
  try {
    port = await listen(server, config.PORT, config.HOST);
  } catch (error) {
    await assistant.close();
    throw error;
  }
  await slack?.start();
  const interrupted = await assistant.recover();
  if (interrupted.length > 0)
    logger.warn(
      { proposals: interrupted.map((p) => p.id) },
      'proposals interrupted by the last stop were marked interrupted, not re-run',
    );
  logger.info(
    {
      port,
      host: config.HOST,
      provider: assistant.provider,
      model: assistant.modelName,
      surface: slack ? `slack (${slack.mode})` : 'local',
    },
    'assistant started',
  );

  if (interactive) {
    // The terminal's own /approve prints its outcome; the rest (progress, interruptions, expiries) is printed here.
    assistant.setNotifier(async (threadId, text, kind) => {
      if (threadId.startsWith('local:') && kind !== 'outcome') process.stdout.write(`\n${forTerminal(text)}\n`);
    });
    assistant.setJobNotifier(async (threadId, _key, text) => {
      if (threadId.startsWith('local:')) process.stdout.write(`\n${forTerminal(text)}\n`);
    });
    await runTerminalChat({
      conversation: assistant.conversation,
      threads: assistant.threads,
      input: process.stdin,
      output: process.stdout,
      threadId: `local:${userInfo().username}`,
      userId: `local:${userInfo().username}`,
      interactive: true,
      decide: async (proposalId, decision, reason) =>
        (await assistant.approvals.decide({ proposalId, decision, userId: `local:${userInfo().username}`, reason })).text,
      banner: `LLM Ops Assistant: ${assistant.provider} planner (${assistant.modelName}); http://${config.HOST}:${port}/healthz and /metrics; logs in ${logFile}.`,
    });
    stop(0);
  } else {
    logger.info('standard input is not a terminal: running as a service without the chat prompt until SIGTERM');
  }
}

/** Bolt and the Slack surface, loaded only in Slack mode (the terminal assistant starts without them). */
async function startSlackSurface(config: Config, assistant: Assistant, logger: Logger): Promise<SlackSurface> {
  const [{ createSlackSurface }, { decisionsOf }] = await Promise.all([
    import('./chat/slack/slack-surface.ts'),
    import('./chat/slack/slack-dependencies.ts'),
  ]);
  return createSlackSurface(config, assistant, logger, decisionsOf(assistant.approvals));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `llmops: ${describeError(error)}`}\n`);
  process.exit(1);
});
