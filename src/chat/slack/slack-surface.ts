import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { basename } from 'node:path';
import { App, type Logger as BoltLogger, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import type { Assistant } from '../../app.ts';
import type { Config } from '../../config.ts';
import { ConcurrencyLimiter } from '../../conversation/concurrency-limiter.ts';
import { AppError, describeError } from '../../errors.ts';
import type { IncidentChannel } from '../../incidents/incident-service.ts';
import type { JobNotifier } from '../../jobs/job-runner.ts';
import type { Logger } from '../../observability/logger.ts';
import { SlackRepository } from '../../store/slack-repository.ts';
import { AckFirstPacer } from './ack-first-pacer.ts';
import { answerInThread } from './answer-in-thread.ts';
import { registerAppHome } from './listeners/app-home.ts';
import { registerApprovalActions, registerSuggestedActions } from './listeners/approval-actions.ts';
import { registerConversationListeners } from './listeners/mentions-and-messages.ts';
import { registerSlashCommand } from './listeners/slash-command.ts';
import { NO_APPROVALS, type ProposalDecisions, type SlackDependencies } from './slack-dependencies.ts';
import { guardSlackRequests } from './slack-request-guard.ts';

export interface SlackSurface {
  mode: 'http' | 'socket';
  /** Incident threads in a channel: alerts open a thread there and the assistant investigates in it. */
  incidentChannel: (channel: string) => IncidentChannel;
  /** Posts into a conversation's Slack thread (`slack:CHANNEL:TS` or `slack:CHANNEL`); other threads are not Slack's. */
  notify: (threadId: string, text: string) => Promise<void>;
  /** A job's progress as one message in its thread: posted once, then edited. */
  jobProgress: JobNotifier;
  /** HTTP mode: the handler for `/slack/events` on the assistant's one port. */
  requestListener?: RequestListener;
  /** Resolves once no turn (answer to a mention, message or `/llmops ask`) runs or waits. */
  idle(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Turns answered at once; the rest queue in arrival order. */
const TURNS_AT_ONCE = 4;

/**
 * The Slack surface on @slack/bolt: Socket Mode with SLACK_APP_TOKEN, otherwise Bolt's
 * HTTP receiver mounted at /slack/events on PORT behind a guard (POST only; signature, replay
 * window and future-dated timestamps checked; malformed bodies refused at once).
 * It only translates between Slack and the conversation service and tool executor. Work that
 * a request starts runs after the acknowledgements of the requests waiting (see AckFirstPacer).
 */
export async function createSlackSurface(
  config: Config,
  assistant: Pick<Assistant, 'conversation' | 'executor' | 'threads' | 'deployments' | 'db'>,
  logger: Logger,
  decisions: ProposalDecisions = NO_APPROVALS,
): Promise<SlackSurface> {
  const token = config.SLACK_BOT_TOKEN;
  if (!token) throw new AppError('slack_not_configured', 'SLACK_BOT_TOKEN is not set');
  const clientOptions = config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {};
  // Asked once at start, so a bad token stops the start with a clear message, and Bolt needs no auth.test per request.
  const auth = await new webApi.WebClient(token, { ...clientOptions, retryConfig: { retries: 2 } }).auth
    .test()
    .catch((error: unknown) => {
      throw new AppError(
        'slack_auth_failed',
        `Slack rejected SLACK_BOT_TOKEN (auth.test at ${config.SLACK_API_URL ?? 'https://slack.com/api/'}): ${describeError(error)}`,
      );
    });
  const botUserId = auth.user_id as string;
  const botId = auth.bot_id as string;
  const boltLogger = adaptLogger(logger);
  const common = { token, botId, botUserId, clientOptions, logger: boltLogger, logLevel: LogLevel.INFO, ignoreSelf: true };

  let app: App;
  let receiver: HTTPReceiver | undefined;
  if (config.SLACK_APP_TOKEN) {
    app = new App({ ...common, appToken: config.SLACK_APP_TOKEN, socketMode: true });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET as string,
      // Reached only through guardSlackRequests, which checks the signature (and more) first: one HMAC per request.
      signatureVerification: false,
      endpoints: '/slack/events',
      processBeforeResponse: false,
      logger: boltLogger,
    });
    app = new App({ ...common, receiver });
  }
  const pacer = new AckFirstPacer();
  const deps: SlackDependencies = {
    conversation: assistant.conversation,
    executor: assistant.executor,
    threads: assistant.threads,
    deployments: assistant.deployments,
    slack: new SlackRepository(assistant.db),
    decisions,
    logger,
    botUserId,
    pacer,
    turns: new ConcurrencyLimiter(TURNS_AT_ONCE, { ready: () => pacer.quiet() }),
  };
  registerConversationListeners(app, deps);
  registerSlashCommand(app, deps);
  registerApprovalActions(app, deps);
  registerSuggestedActions(app, deps);
  registerAppHome(app, deps);
  app.error(async (error) => {
    logger.error({ err: error, code: (error as { code?: string }).code }, 'Slack listener failed');
  });
  deps.slack.pruneDeliveries(new Date(Date.now() - 86_400_000));
  // Each job's progress message, to edit in place; a restart posts a fresh one.
  const jobMessages = new Map<string, { channel: string; ts: string }>();

  return {
    mode: receiver ? 'http' : 'socket',
    incidentChannel: (channel) => ({
      open: async (_title, text) => {
        const posted = await app.client.chat.postMessage({ channel, text });
        deps.slack.joinThread(channel, posted.ts as string);
        return `slack:${channel}:${posted.ts}`;
      },
      post: async (threadId, text) => {
        const [, , threadTs] = threadId.split(':');
        await app.client.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
      },
      investigate: async (threadId, question) => {
        const [, , threadTs] = threadId.split(':');
        await answerInThread(app.client, deps, {
          channel,
          threadTs,
          userId: 'alertmanager',
          text: question,
          threadId,
        });
      },
    }),
    jobProgress: async (threadId, key, text, final) => {
      const [surface, channel, threadTs] = threadId.split(':');
      if (surface !== 'slack' || !channel) return;
      const posted = jobMessages.get(key);
      if (posted) await app.client.chat.update({ channel: posted.channel, ts: posted.ts, text });
      else {
        const reply = await app.client.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
        if (reply.ts) jobMessages.set(key, { channel, ts: reply.ts });
      }
      // A job's chart (the tuning trials) is a file on this machine: people see it uploaded beside the result.
      const chart = final ? /Chart: (\S+\.png)/.exec(text)?.[1] : undefined;
      const uploadThread = threadTs ?? jobMessages.get(key)?.ts;
      if (chart && uploadThread && existsSync(chart)) {
        await app.client.filesUploadV2({
          channel_id: channel,
          thread_ts: uploadThread,
          file: chart,
          filename: basename(chart),
          title: basename(chart, '.png'),
        });
      }
      if (final) jobMessages.delete(key);
    },
    notify: async (threadId, text) => {
      const [surface, channel, threadTs] = threadId.split(':');
      if (surface !== 'slack' || !channel) return;
      await app.client.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    },
    ...(receiver
      ? {
          requestListener: guardSlackRequests(receiver.requestListener, {
            signingSecret: config.SLACK_SIGNING_SECRET as string,
            logger,
            traffic: pacer,
          }),
        }
      : {}),
    idle: () => deps.turns.idle(),
    start: async () => {
      if (!receiver) await app.start();
    },
    stop: async () => {
      if (!receiver) await app.stop();
    },
  };
}

function adaptLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  return {
    debug: (...messages: unknown[]) => child.debug(messages.map(String).join(' ')),
    info: (...messages: unknown[]) => child.info(messages.map(String).join(' ')),
    warn: (...messages: unknown[]) => child.warn(messages.map(String).join(' ')),
    error: (...messages: unknown[]) => child.error(messages.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
