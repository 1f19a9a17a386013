import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { testAssistant } from './support/test-assistant.ts';

// The README's drill on the embedded default: the person at the terminal asks, approves, and the fleet follows.
const ROOT = new URL('..', import.meta.url).pathname;
type TestAssistant = Awaited<ReturnType<typeof testAssistant>>;
const open: TestAssistant[] = [];
afterAll(async () => {
  for (const assistant of open.splice(0)) await assistant.dispose();
});

/** `npm run -s llmops -- …` as a user types it, without blocking this process (it owns the fleet). */
function llmops(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'llmops', '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DEMO_BACKFILL_DAYS: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function proposalOf(reply: { toolRuns: Array<{ result: { status: string } }> }): number {
  const result = reply.toolRuns[0]?.result as { proposalId?: number } | undefined;
  expect(result?.proposalId, JSON.stringify(reply.toolRuns)).toBeTypeOf('number');
  return result?.proposalId as number;
}

describe('approving from the terminal on the embedded default', () => {
  it('the terminal user approves their own prod change; a rollback without an environment is judged as prod; llmops approve hands over to the running assistant', async () => {
    const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '0' }, { demoTraffic: false });
    open.push(assistant);
    const chat = (text: string) =>
      assistant.conversation.handle({ surface: 'local', threadId: 'local:alice', userId: 'local:alice', text });
    const version = () => assistant.fleet?.describe().deployments.find((d) => d.name === 'mistral-7b')?.version;

    const deploy = await chat('deploy mistral-7b v5 to prod');
    expect(deploy.text).toMatch(/^Proposal 1 awaits approval by group:sre \(dangerous;/);
    expect(deploy.text).toContain(
      'As the operator at this terminal you may decide it: /approve 1 in the chat, or llmops approve 1 --as local:alice.',
    );
    const decided = await assistant.approvals.decide({ proposalId: 1, decision: 'approve', userId: 'local:alice' });
    expect(decided.text).toMatch(/^Proposal 1 approved by local:alice and done: Deploy mistral-7b v5 to prod/);
    expect(version()).toBe('v5');

    // The phrase the assistant suggests after a bad deploy names no environment: the proposal carries prod.
    const rollback = await chat('roll back mistral-7b to v4');
    const id = proposalOf(rollback);
    expect(rollback.text).toMatch(/awaits approval by group:sre \(dangerous; .*Roll back mistral-7b in prod to v4/);
    const stored = assistant.approvals.get(id);
    expect(stored?.environment).toBe('prod');
    expect(stored?.args).toEqual({ deployment: 'mistral-7b', environment: 'prod', to_version: 'v4' });
    // Prod's dangerous rule (expires after 30 min), not the catch-all (1 h).
    expect((stored?.expiresAt.getTime() ?? 0) - (stored?.createdAt.getTime() ?? 0)).toBeLessThanOrEqual(30 * 60_000 + 1000);

    // A second process on the same DATA_DIR approves; the replicas live here, so this process runs it.
    const approved = await llmops(['approve', String(id), '--as', 'local:bob'], assistant.dataDir);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain(
      `Proposal ${id} approved by local:bob; the assistant running as pid ${process.pid}, which owns the runtime, runs it now.`,
    );
    expect(approved.stdout).toMatch(new RegExp(`Proposal ${id} done: Roll back mistral-7b in prod to v4`));
    expect(approved.code).toBe(0);
    expect(version()).toBe('v4');
    const audit = assistant.audit.query({ start: new Date(0), end: new Date(Date.now() + 1000) });
    expect(audit.find((e) => e.proposalId === id && e.action === 'approved')).toMatchObject({
      actor: 'local:bob',
      details: { as: 'terminal operator (no Slack configured)' },
    });
    expect(audit.filter((e) => e.proposalId === id && e.action === 'executing')).toHaveLength(1);
    // Asked again once it is back on v4: nothing to propose, and it says why.
    const again = await chat('roll back mistral-7b to v4');
    expect(again.toolRuns[0]?.result.status).toBe('error');
    expect(again.text).toContain('mistral-7b in prod already runs v4; there is nothing to roll back.');
  }, 120_000);
});
