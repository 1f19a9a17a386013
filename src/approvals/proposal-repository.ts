import { createHash } from 'node:crypto';
import type { Db } from '../store/database.ts';

export type ProposalState =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'expired'
  | 'interrupted';

export interface Proposal {
  id: number;
  tool: string;
  args: Record<string, unknown>;
  argsJson: string;
  argsHash: string;
  risk: string;
  environment: string | undefined;
  deployment: string | undefined;
  requester: string;
  threadId: string;
  plan: string;
  planDetails: unknown;
  approvers: string[];
  allowSelfApproval: boolean;
  approvalsNeeded: number;
  state: ProposalState;
  result: unknown;
  createdAt: Date;
  expiresAt: Date;
}

/** JSON with sorted keys, so equal arguments always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashArgs(argsJson: string): string {
  return createHash('sha256').update(argsJson).digest('hex');
}

interface Row {
  id: number;
  tool: string;
  args: string;
  args_hash: string;
  risk: string;
  environment: string | null;
  deployment: string | null;
  requester: string;
  thread_id: string;
  plan: string;
  plan_details: string | null;
  approvers: string;
  allow_self_approval: number;
  approvals_needed: number;
  state: ProposalState;
  result: string | null;
  created_at: string;
  expires_at: string;
}

/**
 * Proposals in SQLite. Every state change is a conditional UPDATE on the expected state,
 * so that of many concurrent deciders exactly one wins, in one process or several.
 */
export class ProposalRepository {
  constructor(private readonly db: Db) {}

  create(input: Omit<Proposal, 'id' | 'argsJson' | 'argsHash' | 'state' | 'result' | 'createdAt'>): Proposal {
    const argsJson = canonicalJson(input.args);
    const now = new Date();
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO proposals (tool, args, args_hash, risk, environment, deployment, requester, thread_id, plan, plan_details, approvers, allow_self_approval, approvals_needed, state, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          input.tool,
          argsJson,
          hashArgs(argsJson),
          input.risk,
          input.environment ?? null,
          input.deployment ?? null,
          input.requester,
          input.threadId,
          input.plan,
          input.planDetails === undefined ? null : JSON.stringify(input.planDetails),
          JSON.stringify(input.approvers),
          input.allowSelfApproval ? 1 : 0,
          input.approvalsNeeded,
          now.toISOString(),
          input.expiresAt.toISOString(),
        ).lastInsertRowid,
    );
    return this.get(id) as Proposal;
  }

  get(id: number): Proposal | undefined {
    const row = this.db.prepare('SELECT * FROM proposals WHERE id = ?').get(id) as Row | undefined;
    return row ? toProposal(row) : undefined;
  }

  /** Moves a proposal from one of `from` to `to`; true only for the caller that made the change. */
  transition(id: number, from: ProposalState[], to: ProposalState, fields: { result?: unknown } = {}): boolean {
    const column =
      to === 'executing' ? 'started_at' : ['succeeded', 'failed', 'interrupted'].includes(to) ? 'finished_at' : 'decided_at';
    return (
      this.db
        .prepare(
          `UPDATE proposals SET state = ?, ${column} = ?, result = COALESCE(?, result) WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
        )
        .run(to, new Date().toISOString(), fields.result === undefined ? null : JSON.stringify(fields.result), id, ...from)
        .changes === 1
    );
  }

  /** Records one person's decision; false when they already decided this proposal. */
  recordDecision(id: number, userId: string, decision: 'approve' | 'reject', reason?: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO proposal_decisions (proposal_id, user_id, decision, reason, at) VALUES (?, ?, ?, ?, ?)')
        .run(id, userId, decision, reason ?? null, new Date().toISOString()).changes === 1
    );
  }

  approvalsOf(id: number): string[] {
    return (
      this.db
        .prepare("SELECT user_id FROM proposal_decisions WHERE proposal_id = ? AND decision = 'approve' ORDER BY at")
        .all(id) as Array<{ user_id: string }>
    ).map((row) => row.user_id);
  }

  inState(states: ProposalState[]): Proposal[] {
    return (
      this.db
        .prepare(`SELECT * FROM proposals WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`)
        .all(...states) as Row[]
    ).map(toProposal);
  }

  /** Runs `work` in one SQLite transaction (atomic against other connections too). */
  atomically<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }
}

function toProposal(row: Row): Proposal {
  return {
    id: row.id,
    tool: row.tool,
    args: JSON.parse(row.args) as Record<string, unknown>,
    argsJson: row.args,
    argsHash: row.args_hash,
    risk: row.risk,
    environment: row.environment ?? undefined,
    deployment: row.deployment ?? undefined,
    requester: row.requester,
    threadId: row.thread_id,
    plan: row.plan,
    planDetails: row.plan_details === null ? undefined : (JSON.parse(row.plan_details) as unknown),
    approvers: JSON.parse(row.approvers) as string[],
    allowSelfApproval: row.allow_self_approval === 1,
    approvalsNeeded: row.approvals_needed,
    state: row.state,
    result: row.result === null ? undefined : (JSON.parse(row.result) as unknown),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}
