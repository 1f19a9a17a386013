import { type ChildProcess, fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThreadAnswers } from '../test/support/slack-answers.ts';

const SECRET = 'bench-signing-secret';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What people ask in a busy channel: a chart, fleet status, a sizing, logs (cheap and expensive turns mixed). */
const QUESTIONS = [
  'p95 ttft of llama-3-8b over the last 10 minutes',
  "what's running in prod?",
  'how much GPU memory does mixtral-8x7b need with 16k context?',
  'show the logs of mistral-7b in the last 15 minutes',
];
const TEMPLATE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/slack/app_mention.json'), 'utf8')) as Record<
  string,
  unknown
> & {
  event: Record<string, unknown>;
};

interface Server {
  name: string;
  port: number;
  process: ChildProcess;
  answers: boolean;
}

/**
 * Slack acknowledgement latency of bursts of `count` concurrent signed app_mention events: the
 * assistant as `npm start` runs it in Slack's HTTP mode (demo fleet on, every mention answered in
 * full) beside a bare Bolt app that only acknowledges, each in its own process, with the Slack Web
 * API in a third and this process only sending requests. Each round sends a burst to an idle
 * server, and a second burst as soon as the first is acknowledged, while the assistant's answers to
 * the first run; the order of the two servers alternates by round. Every mention must be answered
 * exactly once (counted at the Slack API server) or the bench fails.
 */
export async function benchSlackAck(count = 200, rounds = 3): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'llmops-bench-slack-'));
  const children: ChildProcess[] = [];
  try {
    const slack = fork(join(ROOT, 'bench/support/fake-slack-process.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(slack);
    const apiUrl = await firstLine(slack);
    const [barePort, oursPort] = [await freePort(), await freePort()];
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: apiUrl,
    };
    const bareProcess = fork(join(ROOT, 'bench/support/bare-bolt-app.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...env, PORT: String(barePort) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(bareProcess);
    const oursProcess = fork(join(ROOT, 'src/main.ts'), [], {
      cwd: ROOT,
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.SLACK_ACK_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.SLACK_ACK_PROFILE] : []),
      ],
      env: { ...env, PORT: String(oursPort), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: 'on', SLACK_BOT_TOKEN: 'xoxb-bench' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(oursProcess);
    await firstLine(bareProcess);
    await waitHealthy(oursPort, oursProcess);
    const bare: Server = { name: 'bare Bolt app (ack only)', port: barePort, process: bareProcess, answers: false };
    const ours: Server = { name: 'assistant (npm start, answering)', port: oursPort, process: oursProcess, answers: true };

    const answered = async (threads: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await askAnswers(slack);
        const done = threads.filter((t) => (counts.answers[t] ?? 0) >= 1).length;
        if (done === threads.length || Date.now() > deadline) {
          const wrong = threads.filter((t) => counts.working[t] !== 1 || counts.answers[t] !== 1);
          if (wrong.length > 0) {
            const show = wrong
              .slice(0, 3)
              .map((t) => `${t}: ${counts.working[t] ?? 0} working, ${counts.answers[t] ?? 0} answers`);
            throw new Error(`${wrong.length} of ${threads.length} mentions not answered exactly once (${show.join('; ')})`);
          }
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    let serial = 0;
    const burst = async (server: Server, size: number) => {
      const tag = serial++;
      const requests = Array.from({ length: size }, (_, i) => mention(`${tag}`, i));
      const times = await fire(
        server.port,
        requests.map((r) => r.body),
      );
      return { times, threads: requests.map((r) => r.threadTs) };
    };
    // Warm-up: module loading, JIT and the first chart happen before anything is measured.
    for (const server of [bare, ours]) {
      const { threads } = await burst(server, 20);
      if (server.answers) await answered(threads, 120_000);
    }

    const acks = new Map<Server, { idle: number[]; busy: number[]; roundP99: number[] }>([
      [bare, { idle: [], busy: [], roundP99: [] }],
      [ours, { idle: [], busy: [], roundP99: [] }],
    ]);
    const answerTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? [bare, ours] : [ours, bare]) {
        const record = acks.get(server) as { idle: number[]; busy: number[]; roundP99: number[] };
        const started = performance.now();
        const first = await burst(server, count);
        const second = await burst(server, count);
        record.idle.push(...first.times);
        record.busy.push(...second.times);
        record.roundP99.push(pct([...first.times, ...second.times], 0.99));
        if (server.answers) {
          await answered([...first.threads, ...second.threads], 600_000);
          answerTimes.push(performance.now() - started);
        }
      }
    }

    const b = acks.get(bare) as { idle: number[]; busy: number[]; roundP99: number[] };
    const o = acks.get(ours) as { idle: number[]; busy: number[]; roundP99: number[] };
    const row = (label: string, ours: number[], bare: number[]) =>
      `  ${label.padEnd(44)} bare p50 ${fmt(pct(bare, 0.5))} p99 ${fmt(pct(bare, 0.99))} | assistant p50 ${fmt(pct(ours, 0.5))} p99 ${fmt(pct(ours, 0.99))} | ratio p50 ${(pct(ours, 0.5) / pct(bare, 0.5)).toFixed(2)}x p99 ${(pct(ours, 0.99) / pct(bare, 0.99)).toFixed(2)}x`;
    const perRound = o.roundP99.map((p, i) => (p / (b.roundP99[i] as number)).toFixed(2));
    console.log(
      `Slack acknowledgement latency: ${rounds} rounds of two bursts of ${count} concurrent signed app_mention events over HTTP, each server in its own process, order alternated:`,
    );
    console.log(row('burst to an idle server:', o.idle, b.idle));
    console.log(row('next burst while the answers to the first run:', o.busy, b.busy));
    console.log(row('all acknowledgements:', [...o.idle, ...o.busy], [...b.idle, ...b.busy]));
    console.log(
      `  p99 ratio per round: ${perRound.join(', ')}; slowest acknowledgement: bare ${fmt(Math.max(...b.idle, ...b.busy))}, assistant ${fmt(Math.max(...o.idle, ...o.busy))} (Slack retries after 3000 ms)`,
    );
    console.log(
      `  every mention answered exactly once (${rounds * 2 * count} per server run, counted at the Slack API); ${2 * count} answers took ${answerTimes.map((t) => (t / 1000).toFixed(1)).join(', ')} s`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function mention(tag: string, i: number): { body: string; threadTs: string } {
  const threadTs = `${1764000000 + Number(tag) * 10_000 + i}.000100`;
  const body = JSON.stringify({
    ...TEMPLATE,
    event_id: `Ev${tag}x${i}`,
    event: {
      ...TEMPLATE.event,
      client_msg_id: `bench-${tag}-${i}`,
      text: `<@U0BOT> ${QUESTIONS[i % QUESTIONS.length]}`,
      ts: threadTs,
      event_ts: threadTs,
    },
  });
  return { body, threadTs };
}

/** Sends every body at once, each signed and on its own connection as Slack sends them; returns each one's time to a 200. */
function fire(port: number, bodies: string[]): Promise<number[]> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signed = bodies.map((body) => ({
    body,
    signature: `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  }));
  return Promise.all(
    signed.map(
      ({ body, signature }) =>
        new Promise<number>((resolve, reject) => {
          const started = performance.now();
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/slack/events',
              method: 'POST',
              agent: false,
              headers: {
                'Content-Type': 'application/json',
                'Content-Length': Buffer.byteLength(body),
                'X-Slack-Request-Timestamp': timestamp,
                'X-Slack-Signature': signature,
              },
            },
            (response) => {
              response.resume();
              response.on('end', () => {
                if (response.statusCode !== 200) reject(new Error(`acknowledgement was HTTP ${response.statusCode}`));
                else resolve(performance.now() - started);
              });
            },
          );
          req.on('error', reject);
          req.end(body);
        }),
    ),
  );
}

function askAnswers(slack: ChildProcess): Promise<ThreadAnswers> {
  return new Promise((resolve) => {
    slack.once('message', (message) => resolve(message as ThreadAnswers));
    slack.send({ type: 'answers' });
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end).trim());
    });
  });
}

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the assistant exited with ${child.exitCode} at start`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the assistant did not answer /healthz within 180 s');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;
