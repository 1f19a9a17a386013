import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderForModel } from '../src/agent/result-budget.ts';
import { AppError } from '../src/errors.ts';
import { AssistantMetrics } from '../src/observability/metrics.ts';
import { defineTool, type ToolResult } from '../src/tools/tool-definition.ts';
import { ToolExecutor } from '../src/tools/tool-executor.ts';
import { catalogueWithoutServices, silentLogger } from './support/test-assistant.ts';

const TOOL_CATALOGUE = catalogueWithoutServices();

const context = { threadId: 't', userId: 'U1', now: new Date('2026-11-29T12:00:00Z') };

function executor(tools = TOOL_CATALOGUE, timeoutMs = 1000) {
  const metrics = new AssistantMetrics({ defaultMetrics: false });
  return { metrics, executor: new ToolExecutor(tools, { timeoutMs, metrics, logger: silentLogger }) };
}

const slow = defineTool({
  name: 'slow_tool',
  description: 'never finishes in time',
  input: z.object({}),
  risk: () => 'read',
  handler: (_args, { signal }) =>
    new Promise<ToolResult>((resolve) => {
      const timer = setTimeout(() => resolve({ status: 'ok', summary: 'late' }), 10_000);
      signal.addEventListener('abort', () => clearTimeout(timer));
    }),
});
const broken = defineTool({
  name: 'broken_tool',
  description: 'throws',
  input: z.object({}),
  risk: () => 'read',
  handler: async () => {
    throw new TypeError('cannot read properties of undefined');
  },
});
const upstream = defineTool({
  name: 'upstream_tool',
  description: 'fails with a coded error',
  input: z.object({}),
  risk: () => 'read',
  handler: async () => {
    throw new AppError('prometheus_unreachable', 'http://prom:9090 refused the connection');
  },
});
const risky = defineTool({
  name: 'risky_tool',
  description: 'changes things',
  input: z.object({ environment: z.enum(['prod', 'staging']) }),
  risk: (args) => (args.environment === 'prod' ? 'dangerous' : 'write'),
  handler: async () => ({ status: 'ok', summary: 'changed!' }),
});

describe('tool executor', () => {
  it('covers the whole DESIGN.md catalogue with unique names and an object schema each', () => {
    const names = TOOL_CATALOGUE.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      [
        'analyze_logs',
        'cancel_job',
        'deploy_model',
        'detect_anomalies',
        'estimate_resources',
        'explain_incident',
        'forecast_metrics',
        'get_deployment_status',
        'get_job_status',
        'list_audit',
        'probe_endpoint',
        'query_metrics',
        'rollback_deployment',
        'scale_deployment',
        'search_logs',
        'start_optimization',
      ].sort(),
    );
    for (const spec of executor().executor.specs()) expect(spec.parameters).toMatchObject({ type: 'object' });
  });

  it('answers that a catalogued tool without a handler is not available yet', async () => {
    const planned = defineTool({
      name: 'planned_tool',
      description: 'declared, not built',
      input: z.object({}),
      risk: () => 'read',
    });
    const result = await executor([planned]).executor.execute('planned_tool', {}, context);
    expect(result).toEqual({ status: 'unavailable', summary: 'planned_tool is not available yet in this release.' });
  });

  it('names each wrong field', async () => {
    const result = await executor().executor.execute('scale_deployment', { deployment: 'llama 3!', replicas: -1 }, context);
    expect(result.status).toBe('error');
    expect(result.summary).toContain('field `deployment`: must be a deployment name');
    expect(result.summary).toContain('field `replicas`');
    const range = await executor().executor.execute('query_metrics', { range: 'a while ago' }, context);
    expect(range.summary).toContain('field `range`: expected "last 30m"');
  });

  it('stops a tool at its timeout and says so', async () => {
    const { executor: run, metrics } = executor([slow], 50);
    const result = await run.execute('slow_tool', {}, context);
    expect(result).toMatchObject({
      status: 'error',
      code: 'timeout',
      summary: 'slow_tool did not finish within 50 ms and was stopped.',
    });
    expect(await metrics.registry.getSingleMetricAsString('llmops_tool_call_failures_total')).toContain(
      'tool="slow_tool",reason="timeout"} 1',
    );
  });

  it("turns a thrown error into an error result, keeping coded errors' codes", async () => {
    const { executor: run } = executor([broken, upstream]);
    expect(await run.execute('broken_tool', {}, context)).toMatchObject({
      status: 'error',
      code: 'tool_failed',
      summary: 'broken_tool failed: cannot read properties of undefined',
    });
    expect(await run.execute('upstream_tool', {}, context)).toMatchObject({ status: 'error', code: 'prometheus_unreachable' });
  });

  it('never runs a risky call without the approval gate', async () => {
    const { executor: run } = executor([risky]);
    const result = await run.execute('risky_tool', { environment: 'staging' }, context);
    expect(result).toMatchObject({ status: 'error', code: 'approval_unavailable' });
    expect(result.summary).toContain('nothing was changed');
  });

  it('hands risky calls to the gate with the validated arguments and their risk', async () => {
    const metrics = new AssistantMetrics({ defaultMetrics: false });
    const seen: unknown[] = [];
    const run = new ToolExecutor([risky], {
      timeoutMs: 1000,
      metrics,
      logger: silentLogger,
      gate: async (call) => {
        seen.push({ tool: call.tool.name, args: call.args, risk: call.risk });
        return { status: 'proposal', summary: 'Proposal 1 awaits approval.', proposalId: 1 };
      },
    });
    expect(await run.execute('risky_tool', { environment: 'prod' }, context)).toMatchObject({
      status: 'proposal',
      proposalId: 1,
    });
    expect(seen).toEqual([{ tool: 'risky_tool', args: { environment: 'prod' }, risk: 'dangerous' }]);
  });

  it('declares prod deploys, rollbacks and scaling to zero dangerous, staging changes writes', () => {
    const risk = (name: string, args: Record<string, unknown>) => TOOL_CATALOGUE.find((t) => t.name === name)?.risk(args);
    expect(risk('deploy_model', { environment: 'prod' })).toBe('dangerous');
    expect(risk('deploy_model', { environment: 'staging' })).toBe('write');
    expect(risk('rollback_deployment', { environment: 'staging' })).toBe('dangerous');
    expect(risk('scale_deployment', { environment: 'staging', replicas: 0 })).toBe('dangerous');
    expect(risk('scale_deployment', { environment: 'staging', replicas: 3 })).toBe('write');
    expect(risk('scale_deployment', { replicas: 3 })).toBe('dangerous');
    expect(risk('query_metrics', {})).toBe('read');
  });
});

describe('context budget for tool results', () => {
  const big: ToolResult = {
    status: 'ok',
    summary: 'Found 5,000 matching log lines.',
    data: { lines: Array.from({ length: 5000 }, (_, i) => `2026-11-29T12:00:${i} ERROR CUDA out of memory on worker ${i}`) },
  };

  it('passes small results through whole', () => {
    const small: ToolResult = { status: 'ok', summary: 'fine', data: { a: 1 } };
    expect(JSON.parse(renderForModel(small, 1000))).toEqual(small);
  });

  it('cuts large results to the budget, keeps the summary and says what was cut', () => {
    const text = renderForModel(big, 2000);
    expect(text.length).toBeLessThanOrEqual(2000);
    const parsed = JSON.parse(text);
    expect(parsed.summary).toBe('Found 5,000 matching log lines.');
    expect(parsed._note).toMatch(/^result cut to fit the context budget \([\d,]+ chars, budget 2,000\)/);
    expect(parsed.data.lines.at(-1)).toMatch(/more items cut$/);
  });

  it('drops the data entirely when even a shrunk copy does not fit', () => {
    const parsed = JSON.parse(renderForModel({ ...big, summary: 'x'.repeat(3000) }, 600));
    expect(parsed.data).toBeUndefined();
    expect(parsed._note).toContain('data left out');
    expect(JSON.stringify(parsed).length).toBeLessThanOrEqual(600);
  });
});
