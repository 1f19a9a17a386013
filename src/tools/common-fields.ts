import { z } from 'zod';
import { METRIC_KINDS } from '../metrics/curated-metrics.ts';
import { isTimeRange, parseDuration, RANGE_EXPECTED } from '../time/time-range.ts';

/** Field schemas shared by several tools, so the model sees one vocabulary everywhere. */
export const deploymentName = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, { error: 'must be a deployment name such as "llama-3-8b" (letters, digits, ".", "_", "-")' })
  .describe('Deployment (model server) name as people write it, e.g. "llama-3-8b"');

export const environment = z
  .enum(['prod', 'staging', 'dev'], { error: 'must be "prod", "staging" or "dev"' })
  .describe('Environment');

export const timeRange = z
  .string()
  .refine(isTimeRange, { error: RANGE_EXPECTED })
  .describe('Time range: "last 1h", "last 7d", "since 14:00", "today", "yesterday" or "<ISO start>/<ISO end>"');

export const duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { error: 'expected a duration such as "6h", "3d" or "1w"' })
  .describe('A duration such as "6h", "3d", "1w"');

export const metricKind = z
  .enum(METRIC_KINDS, { error: `must be one of ${METRIC_KINDS.join(', ')}` })
  .describe(`Curated serving metric: ${METRIC_KINDS.join(', ')}`);

export const quantile = z
  .number()
  .gt(0, { error: 'must be between 0 and 1 exclusive, e.g. 0.95 for p95' })
  .lt(1, { error: 'must be between 0 and 1 exclusive, e.g. 0.95 for p95' })
  .describe('Quantile for latency metrics, e.g. 0.95 for p95');

export const gpuType = z.string().trim().min(1).describe('GPU type, e.g. "L4", "A10G", "A100-40GB", "A100-80GB", "H100", "H200"');

export const jobId = z.number().int().positive().describe('Job number');
