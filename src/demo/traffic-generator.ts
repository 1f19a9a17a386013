import { Random } from '../random/seeded-random.ts';
import { trafficRhythm } from './traffic-rhythm.ts';

const PROMPT_WORDS = 'please summarise the following incident report and list the three most likely causes with evidence'.split(
  ' ',
);
const MAX_IN_FLIGHT = 256;

/** What the generator sends: prompts of log-normal length in words (at least `minWords`) and a max_tokens cap. */
export const TRAFFIC_REQUESTS = { promptWords: { mean: 300, sigma: 0.6, min: 5 }, maxTokens: 256 } as const;

/** One request's prompt length in words, drawn as the generator draws it. */
export function drawPromptWords(random: Random): number {
  const { mean, sigma, min } = TRAFFIC_REQUESTS.promptWords;
  return Math.max(min, Math.round(random.logNormal(mean, sigma)));
}

/**
 * Open-loop Poisson arrivals at the rhythm's rate times any surge, sent as real
 * OpenAI-style requests to one simulated server. Arrivals do not wait for answers, so a
 * slow server builds a queue, as production traffic does.
 */
export class TrafficGenerator {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly random: Random;
  private running = false;

  constructor(
    private readonly options: {
      /** Where requests go now (a rollout moves it) and the surge multiplier of any injected fault. */
      target: () => { url: string; model: string; trafficMultiplier: number } | undefined;
      peakRatePerSecond: number;
      seed: number;
      clock?: () => Date;
    },
  ) {
    this.random = new Random(options.seed);
  }

  /** Requests per second right now. */
  rate(): number {
    const now = this.options.clock?.() ?? new Date();
    return this.options.peakRatePerSecond * trafficRhythm(now) * (this.options.target()?.trafficMultiplier ?? 1);
  }

  start(): void {
    this.running = true;
    this.scheduleNext();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private scheduleNext(): void {
    if (!this.running) return;
    const waitMs = this.random.exponential(Math.max(this.rate(), 0.001)) * 1000;
    this.timer = setTimeout(() => {
      if (this.inFlight < MAX_IN_FLIGHT) void this.send();
      this.scheduleNext();
    }, waitMs);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    const target = this.options.target();
    if (!target) return;
    this.inFlight++;
    const words = drawPromptWords(this.random);
    const prompt = Array.from({ length: words }, (_, i) => PROMPT_WORDS[i % PROMPT_WORDS.length]).join(' ');
    try {
      const response = await fetch(`${target.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: target.model,
          messages: [{ role: 'user', content: prompt }],
          max_tokens: TRAFFIC_REQUESTS.maxTokens,
        }),
        signal: AbortSignal.timeout(120_000),
      });
      await response.arrayBuffer();
    } catch {
      // The server was stopped or timed out; the generator's job is only to make load.
    } finally {
      this.inFlight--;
    }
  }
}
