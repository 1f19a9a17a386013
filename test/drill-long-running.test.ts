import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hypothesis } from '../src/analysis/rca/rank-hypotheses.ts';
import { incidentScenario } from './support/incident-scenario.ts';
import { testAssistant } from './support/test-assistant.ts';

// The README's drill on a fleet that has run for a day: the bad deploy lands 23 hours after the
// history starts (not beside the fleet's own start-up), and the assistant is restarted after the rollback.
type Running = { close(): Promise<void> };
const open: Running[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const assistant of open.splice(0)) await assistant.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the incident drill on a long-running fleet, and after a restart', () => {
  it('diagnoses the deploy, rolls back on the operator’s approval, and after a restart says v4 already runs', async () => {
    const { assistant, now } = await incidentScenario('bad_deploy', { minutes: 40 });
    open.push(assistant);
    dirs.push(assistant.dataDir);
    const chatOn = (a: typeof assistant) => (text: string) =>
      a.conversation.handle({ surface: 'local', threadId: 'local:alice', userId: 'local:alice', text });
    const chat = chatOn(assistant);
    const versionOf = (a: typeof assistant) =>
      a.fleet?.describe().deployments.find((d) => d.name === 'mistral-7b' && d.environment === 'prod')?.version;

    const why = await chat('why is mistral-7b slow?');
    expect(why.toolRuns.map((r) => r.tool)).toEqual(['explain_incident']);
    const [top] = (why.toolRuns[0] as { result: { data: { hypotheses: Hypothesis[] } } }).result.data.hypotheses;
    expect(top?.kind, why.text).toBe('deployment_change');
    expect(top?.confidence).toBeGreaterThan(0.5);
    expect(why.text).toContain('deploy mistral-7b v6 (was v4)');
    expect(why.text).toContain('Say "roll back mistral-7b to v4" to propose it.');

    const rollback = await chat('roll back mistral-7b to v4');
    const id = (rollback.toolRuns[0]?.result as { proposalId?: number } | undefined)?.proposalId;
    expect(id, rollback.text).toBeTypeOf('number');
    expect(assistant.approvals.get(id as number)?.environment).toBe('prod');
    const decided = await assistant.approvals.decide({ proposalId: id as number, decision: 'approve', userId: 'local:alice' });
    expect(decided.text).toMatch(
      new RegExp(`^Proposal ${id} approved by local:alice and done: Roll back mistral-7b in prod to v4`),
    );
    expect(versionOf(assistant)).toBe('v4');

    // `npm start` again on the same data folder: the fleet runs what the history says, and the
    // same question finds the same cause but nothing left to roll back.
    open.splice(open.indexOf(assistant), 1);
    await assistant.close();
    const restarted = await testAssistant(
      { DEMO: 'on', DEMO_BACKFILL_DAYS: '1' },
      { demoTraffic: false, now: () => now },
      assistant.dataDir,
    );
    open.push(restarted);
    expect(versionOf(restarted)).toBe('v4');
    const again = await chatOn(restarted)('why is mistral-7b slow?');
    const [first] = (again.toolRuns[0] as { result: { data: { hypotheses: Hypothesis[] } } }).result.data.hypotheses;
    expect(first?.kind, again.text).toBe('deployment_change');
    expect(again.text).toContain('mistral-7b in prod already runs v4; there is nothing to roll back.');
    expect(again.text).not.toContain('Say "roll back mistral-7b to v4"');
  }, 120_000);
});
