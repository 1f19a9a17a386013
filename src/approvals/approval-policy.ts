import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError, describeError } from '../errors.ts';
import { packageFile } from '../module-path.ts';
import { parseDuration } from '../time/time-range.ts';
import type { Risk } from '../tools/tool-definition.ts';

const duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { error: 'must be a duration such as 30m, 2h or 1d' });

const ruleSchema = z.object({
  environment: z.enum(['prod', 'staging', 'dev', '*'], { error: 'must be prod, staging, dev or "*"' }),
  risk: z.enum(['write', 'dangerous', '*'], { error: 'must be write, dangerous or "*"' }),
  approval: z.enum(['required', 'none'], { error: 'must be "required" or "none"' }),
  approvers: z
    .array(
      z.string().regex(/^(U|W)[A-Z0-9]+$|^S[A-Z0-9]+$|^group:[\w-]+$|^local:[\w.-]+$/, {
        error: 'must be a Slack user ID (U…), a user group (S…), group:NAME or local:USER',
      }),
    )
    .default([]),
  allow_self_approval: z.boolean().default(false),
  approvals_needed: z.number().int().min(1).max(10).default(1),
  expires_after: duration.default('1h'),
});

/**
 * The person at the assistant's own terminal (`local:NAME`). Without Slack they are the only
 * operator, and whoever types there owns the machine, its database and its credentials.
 */
const terminalSchema = z
  .object({
    approve_all_without_slack: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .strict();

export const policySchema = z
  .object({
    groups: z
      .record(
        z.string(),
        z.array(
          z.string().regex(/^[UW][A-Z0-9]{2,}$|^local:[A-Za-z0-9_][\w.-]{0,63}$/, {
            error: 'a group member must be a Slack user ID (U…/W…) or local:USER',
          }),
        ),
      )
      .default({}),
    terminal: terminalSchema.default({ approve_all_without_slack: false }),
    rules: z.array(ruleSchema).min(1, { error: 'needs at least one rule' }),
  })
  .superRefine((policy, context) => {
    policy.rules.forEach((rule, index) => {
      if (rule.approval === 'required' && rule.approvers.length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['rules', index, 'approvers'],
          message: 'a rule that requires approval must name approvers',
        });
      }
      for (const approver of rule.approvers) {
        const group = /^group:(.+)$/.exec(approver)?.[1];
        if (group && !(group in policy.groups)) {
          context.addIssue({
            code: 'custom',
            path: ['rules', index, 'approvers'],
            message: `group "${group}" is not defined under groups`,
          });
        }
      }
    });
  });

export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;

/** What the policy says about one proposed call, fixed at proposal time so later policy edits do not change open proposals. */
export interface Requirement {
  approval: 'required' | 'none';
  approvers: string[];
  allowSelfApproval: boolean;
  approvalsNeeded: number;
  expiresAfterMs: number;
}

/** The policy the package ships, used when APPROVAL_POLICY_FILE is not set. */
export const DEFAULT_POLICY_FILE = packageFile('config/approval-policy.yaml');

/** Reads and validates the policy file; every problem is named with its place in the file. */
export function loadPolicy(path: string): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AppError('policy_unreadable', `APPROVAL_POLICY_FILE=${path}: ${describeError(error)}`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'policy_invalid',
      `APPROVAL_POLICY_FILE=${path} is not a valid policy: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The first rule matching the environment (undefined only matches "*") and risk. */
export function requirementFor(policy: Policy, environment: string | undefined, risk: Exclude<Risk, 'read'>): Requirement {
  const rule = policy.rules.find(
    (candidate) =>
      (candidate.environment === '*' || candidate.environment === environment) &&
      (candidate.risk === '*' || candidate.risk === risk),
  );
  // No rule: the safe answer is that approval is needed and nobody can give it.
  if (!rule)
    return { approval: 'required', approvers: [], allowSelfApproval: false, approvalsNeeded: 1, expiresAfterMs: 3_600_000 };
  return {
    approval: rule.approval,
    approvers: rule.approvers,
    allowSelfApproval: rule.allow_self_approval,
    approvalsNeeded: rule.approvals_needed,
    expiresAfterMs: parseDuration(rule.expires_after) as number,
  };
}

/** A terminal user as the local chat and `llmops approve --as` name them: `local:` and a login name. */
export const LOCAL_USER = /^local:[A-Za-z0-9_][\w.-]{0,63}$/;
/** A Slack user ID (U…, or W… on Enterprise Grid). */
export const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** Whether `id` names one person: a Slack user ID or a terminal user, exactly (no groups, patterns or spaces). */
export function isUserId(id: string): boolean {
  return SLACK_USER.test(id) || LOCAL_USER.test(id);
}

/** A proposal number as people type it: a plain positive integer ("0x1", "1e0", " 1 " are not). */
export function parseProposalId(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  return Number(text);
}

/** Resolves Slack user groups (S…) to members; the Slack surface provides one, elsewhere groups are unknown. */
export type UserGroupResolver = (groupId: string) => Promise<string[]>;

/**
 * Whether `user` is among the approvers: a person listed by their own ID, or a member of a policy
 * group or a Slack user group. A group entry only ever matches through membership, and only a
 * well-formed user ID can match at all: "group:sre", "*" or "U0SRE " approve nothing.
 */
export async function isApprover(
  policy: Policy,
  approvers: readonly string[],
  user: string,
  resolveGroup?: UserGroupResolver,
): Promise<boolean> {
  if (!isUserId(user)) return false;
  for (const approver of approvers) {
    if (isUserId(approver) && approver === user) return true;
    const group = /^group:(.+)$/.exec(approver)?.[1];
    if (group && (policy.groups[group] ?? []).includes(user)) return true;
    if (/^S[A-Z0-9]+$/.test(approver) && resolveGroup) {
      const members = await resolveGroup(approver).catch((): string[] => []);
      if (members.some((member) => isUserId(member) && member === user)) return true;
    }
  }
  return false;
}
