import { Random } from '../random/seeded-random.ts';
import { VirtualClock } from './engine-clock.ts';
import type { FaultName } from './faults.ts';
import type { ServerConfig } from './serving-model.ts';
import { promptTokensOf, SimulatedServer } from './simulated-server.ts';
import { drawPromptWords, TRAFFIC_REQUESTS } from './traffic-generator.ts';
import type { VllmMetrics } from './vllm-metrics.ts';

export interface VirtualLoadOptions {
  deployment: ServerConfig & { name: string };
  /** Requests per second, constant. */
  rate: number;
  /** Virtual seconds of load before the first scrape that counts, so the engine reaches its steady state. */
  warmUpSeconds: number;
  /** Virtual seconds scraped after the warm-up. */
  seconds: number;
  intervalSeconds: number;
  seed: number;
  faults?: readonly FaultName[];
}

/**
 * Runs a live simulated server in virtual time under the traffic generator's requests
 * (Poisson arrivals, its prompt lengths and max_tokens) and scrapes it every interval,
 * as the embedded scraper would: what a live fleet records, in a fraction of a second.
 */
export function runVirtualLoad(options: VirtualLoadOptions, onScrape: (metrics: VllmMetrics, t: number) => void): void {
  const clock = new VirtualClock();
  const server = new SimulatedServer({ ...options.deployment, version: 'v1', seed: options.seed, clock });
  for (const fault of options.faults ?? []) server.injectFault(fault);
  const random = new Random(options.seed ^ 0x5bd1e995);
  const arrive = () => {
    server.submit(promptTokensOf(drawPromptWords(random)), TRAFFIC_REQUESTS.maxTokens);
    clock.setTimeout(arrive, random.exponential(options.rate) * 1000);
  };
  clock.setTimeout(arrive, random.exponential(options.rate) * 1000);
  clock.advance(options.warmUpSeconds * 1000);
  for (let t = 0; t <= options.seconds; t += options.intervalSeconds) {
    if (t > 0) clock.advance(options.intervalSeconds * 1000);
    onScrape(server.scrape(), t);
  }
}
