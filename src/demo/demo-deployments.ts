import type { ServerConfig } from './serving-model.ts';

/** One deployment of the demo fleet: what it serves, where, on what, and its usual traffic. */
export interface DemoDeployment extends ServerConfig {
  name: string;
  environment: 'prod' | 'staging' | 'dev';
  version: string;
  /** Requests per second at the daily peak on a weekday. */
  peakRatePerSecond: number;
}

export const DEMO_DEPLOYMENTS: readonly DemoDeployment[] = [
  {
    name: 'llama-3-8b',
    environment: 'prod',
    version: 'v2',
    model: 'llama-3-8b',
    gpu: 'A100-80GB',
    gpuCount: 1,
    dtype: 'bf16',
    maxNumSeqs: 64,
    maxNumBatchedTokens: 8192,
    peakRatePerSecond: 3,
  },
  {
    name: 'mistral-7b',
    environment: 'prod',
    version: 'v4',
    model: 'mistral-7b',
    gpu: 'L40S',
    gpuCount: 1,
    dtype: 'bf16',
    maxNumSeqs: 48,
    maxNumBatchedTokens: 8192,
    peakRatePerSecond: 2,
  },
  {
    name: 'qwen2-7b',
    environment: 'staging',
    version: 'v1',
    model: 'qwen2-7b',
    gpu: 'L4',
    gpuCount: 1,
    dtype: 'fp8',
    maxNumSeqs: 32,
    maxNumBatchedTokens: 4096,
    peakRatePerSecond: 0.5,
  },
];
