import { z } from 'zod';

/** The fixed vocabulary of root causes; every hypothesis has one of these kinds. */
export const CAUSE_KINDS = [
  'deployment_change',
  'config_change',
  'traffic_surge',
  'resource_exhaustion',
  'hardware_fault',
  'dependency_failure',
  'input_shift',
  'unknown',
] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];
export const causeKind = z.enum(CAUSE_KINDS);
