import { type ChildProcess, fork, spawnSync } from 'node:child_process';
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
  port: number;
  process: ChildProcess;
  answers: boolean;
}

/**
 * Slack acknowledgement latency of bursts of `count` concurrent signed app_mention events: the
 * assistant exactly as `npm start` runs it (compiled, Slack's HTTP mode, demo fleet on, every mention
 * answered in full) beside a bare Bolt app that only acknowledges, both plain node processes, with
 * the Slack Web API in a third process and this one only sending requests. Each round sends a burst
 * to an idle server, then a second burst once the assistant's first answer is out (while it works on
 * the rest); the order of the two servers alternates by round. Every mention must be answered
 * exactly once (counted at the Slack API server) or the bench fails. Also prints the main thread's
 * CPU time per acknowledgement (Linux), less blurred than latency by other work on the machine.
 */
export async function benchSlackAck(count = 200, rounds = 4): Promise<void> {
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
    // Both servers are plain node processes running JavaScript: the assistant exactly as `npm start` runs it.
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed; the assistant cannot be run as npm start runs it');
    const bareProcess = fork(join(ROOT, 'bench/support/bare-bolt-app.mjs'), [], {
      execArgv: [],
      env: { ...env, PORT: String(barePort) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(bareProcess);
    const oursProcess = fork(join(ROOT, 'dist/src/main.js'), [], {
      cwd: ROOT,
      execArgv: process.env.SLACK_ACK_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.SLACK_ACK_PROFILE] : [],
      env: { ...env, PORT: String(oursPort), HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: 'on', SLACK_BOT_TOKEN: 'xoxb-bench' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(oursProcess);
    await firstLine(bareProcess);
    await waitHealthy(oursPort, oursProcess);
    const bare: Server = { port: barePort, process: bareProcess, answers: false };
    const ours: Server = { port: oursPort, process: oursProcess, answers: true };

    /** Waits until every thread has its answer (checking each got exactly one) and Slack has heard nothing for 300 ms; returns when the last answer came. */
    const answered = async (threads: string[], timeoutMs: number): Promise<number> => {
      const deadline = Date.now() + timeoutMs;
      let allAt: number | undefined;
      for (;;) {
        const counts = await askAnswers(slack);
        const done = threads.filter((t) => (counts.answers[t] ?? 0) >= 1).length;
        if (done === threads.length) allAt ??= performance.now();
        if (done === threads.length || Date.now() > deadline) {
          const wrong = threads.filter((t) => counts.working[t] !== 1 || counts.answers[t] !== 1);
          if (wrong.length > 0) {
            const show = wrong
              .slice(0, 3)
              .map((t) => `${t}: ${counts.working[t] ?? 0} working, ${counts.answers[t] ?? 0} answers`);
            throw new Error(`${wrong.length} of ${threads.length} mentions not answered exactly once (${show.join('; ')})`);
          }
          // Idle again before the next burst: the last answers' chart uploads are done too.
          if ((counts.quietForMs ?? 0) >= 300 || Date.now() > deadline) return allAt ?? performance.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    let serial = 0;
    const burst = async (server: Server, size: number) => {
      const tag = serial++;
      const requests = Array.from({ length: size }, (_, i) => mention(`${tag}`, i));
      const cpuBefore = mainThreadCpuMs(server.process.pid);
      const times = await fire(
        server.port,
        requests.map((r) => r.body),
      );
      const cpuMs = mainThreadCpuMs(server.process.pid) - cpuBefore;
      return { times, threads: requests.map((r) => r.threadTs), cpuMs };
    };
    // Warm-up: module loading, JIT and the first chart happen before anything is measured.
    for (const server of [bare, ours]) {
      const { threads } = await burst(server, 20);
      if (server.answers) await answered(threads, 120_000);
    }

    const record = () => ({
      idle: [] as number[],
      busy: [] as number[],
      idleP99: [] as number[],
      busyP99: [] as number[],
      cpu: [] as number[],
    });
    const acks = new Map<Server, ReturnType<typeof record>>([
      [bare, record()],
      [ours, record()],
    ]);
    const answerTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? [bare, ours] : [ours, bare]) {
        const r = acks.get(server) as ReturnType<typeof record>;
        const started = performance.now();
        const first = await burst(server, count);
        // The assistant is busy answering the first burst (its first answer is out) when the second comes.
        if (server.answers) await firstAnswer(slack, first.threads);
        const second = await burst(server, count);
        r.idle.push(...first.times);
        r.busy.push(...second.times);
        r.idleP99.push(pct(first.times, 0.99));
        r.busyP99.push(pct(second.times, 0.99));
        r.cpu.push((first.cpuMs * 1000) / count);
        if (server.answers) {
          answerTimes.push((await answered([...first.threads, ...second.threads], 600_000)) - started);
        }
      }
    }

    const b = acks.get(bare) as ReturnType<typeof record>;
    const o = acks.get(ours) as ReturnType<typeof record>;
    const row = (label: string, ours: number[], bare: number[], oursRounds: number[], bareRounds: number[]) => {
      const perRound = oursRounds.map((p, i) => p / (bareRounds[i] as number));
      return `  ${label.padEnd(38)} bare p50 ${fmt(pct(bare, 0.5))} p99 ${fmt(pct(bare, 0.99))} | assistant p50 ${fmt(pct(ours, 0.5))} p99 ${fmt(pct(ours, 0.99))} | ratio p50 ${ratio(pct(ours, 0.5), pct(bare, 0.5))} p99 ${ratio(pct(ours, 0.99), pct(bare, 0.99))}; p99 ratio by round ${perRound.map((x) => x.toFixed(2)).join(' ')} (median ${median(perRound).toFixed(2)}x)`;
    };
    console.log(
      `Slack acknowledgement latency: ${rounds} rounds of two bursts of ${count} concurrent signed app_mention events over HTTP, each server in its own process, order alternated by round:`,
    );
    console.log(row('burst to an idle server:', o.idle, b.idle, o.idleP99, b.idleP99));
    console.log(row('next burst while answers are worked on:', o.busy, b.busy, o.busyP99, b.busyP99));
    if (b.cpu.every(Number.isFinite) && o.cpu.every(Number.isFinite)) {
      console.log(
        `  main-thread CPU per acknowledgement in an idle burst (median of rounds): bare ${median(b.cpu).toFixed(0)} µs, assistant ${median(o.cpu).toFixed(0)} µs (${ratio(median(o.cpu), median(b.cpu))})`,
      );
    }
    console.log(
      `  slowest acknowledgement: bare ${fmt(Math.max(...b.idle, ...b.busy))}, assistant ${fmt(Math.max(...o.idle, ...o.busy))} (Slack retries after 3000 ms); every mention answered exactly once (${rounds * 2 * count}, counted at the Slack API); ${2 * count} answers took ${answerTimes.map((t) => (t / 1000).toFixed(1)).join(', ')} s`,
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

/** Milliseconds the process's main thread has run on a CPU (Linux schedstat; NaN elsewhere). */
function mainThreadCpuMs(pid: number | undefined): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

async function firstAnswer(slack: ChildProcess, threads: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const counts = await askAnswers(slack);
    if (threads.some((t) => (counts.answers[t] ?? 0) > 0)) return;
    if (Date.now() > deadline) throw new Error('the assistant answered none of the first burst within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function askAnswers(slack: ChildProcess): Promise<ThreadAnswers & { quietForMs: number | null }> {
  return new Promise((resolve) => {
    slack.once('message', (message) => resolve(message as ThreadAnswers & { quietForMs: number | null }));
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
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const median = (values: number[]) => pct(values, 0.5);
