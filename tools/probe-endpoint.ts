import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { type LatencyStats, runLoadTest } from '../src/integrations/load-tester.ts';
import { deploymentName } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'probe_endpoint',
    description:
      "Send N streaming requests to a deployment's OpenAI-compatible endpoint (or any base URL) and measure time to first token, time per output token, end-to-end latency (p50/p95/p99), tokens per second and errors.",
    input: z.object({
      deployment: deploymentName.optional(),
      url: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe('An OpenAI-compatible base URL such as http://host:8000/v1, instead of a deployment'),
      model: z.string().min(1).optional().describe('Model name to send with url'),
      requests: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe('Number of requests (default 10; with duration_s, the most that are sent, default 1000)'),
      concurrency: z.number().int().min(1).max(256).default(1).describe('Requests in flight at once'),
      max_tokens: z.number().int().min(1).max(8192).default(128).describe('Output tokens per request'),
      prompt_tokens: z.number().int().min(1).max(32_768).optional().describe('Prompt length in tokens (default 128)'),
      rate_per_second: z
        .number()
        .positive()
        .max(1000)
        .optional()
        .describe('Open loop: Poisson arrivals at this rate (concurrency caps requests in flight) instead of a closed loop'),
      duration_s: z.number().positive().max(50).optional().describe('Stop starting requests after this many seconds'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      const unknown = args.url ? undefined : unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      let target: { baseUrl: string; model: string } | undefined;
      if (args.url) target = { baseUrl: args.url.replace(/\/$/, ''), model: args.model ?? args.deployment ?? 'default' };
      else if (args.deployment) target = await services.deployments.endpoint(args.deployment);
      if (!target) {
        const known = services.deployments.names().join(', ') || 'none';
        throw new AppError(
          'deployment_unknown',
          args.deployment
            ? `No endpoint known for "${args.deployment}"; known deployments: ${known}.`
            : 'Give a deployment or a url to probe.',
        );
      }
      const report = await runLoadTest({
        baseUrl: target.baseUrl,
        model: target.model,
        requests: args.requests ?? (args.duration_s ? 1000 : 10),
        concurrency: args.concurrency,
        maxTokens: args.max_tokens,
        ...(args.prompt_tokens ? { promptTokens: args.prompt_tokens } : {}),
        ...(args.rate_per_second ? { ratePerSecond: args.rate_per_second } : {}),
        ...(args.duration_s ? { durationSeconds: args.duration_s } : {}),
        stream: true,
        timeoutMs: 60_000,
        signal: context.signal,
      });
      const name = args.deployment ?? target.baseUrl;
      if (report.succeeded === 0) {
        const why = report.errors.map((e) => `${e.count} × ${e.kind} (${e.example})`).join('; ');
        return {
          status: 'error',
          code: 'probe_failed',
          summary: `All ${report.requests} requests to ${name} (${target.baseUrl}) failed: ${why}.`,
          data: report,
        };
      }
      const ms = (stats: LatencyStats | null) =>
        stats ? `p50 ${f(stats.p50)} / p95 ${f(stats.p95)} / p99 ${f(stats.p99)}` : 'n/a';
      const errors =
        report.failed > 0
          ? `${report.failed} failed (${report.errors.map((e) => `${e.count} × ${e.kind}`).join(', ')})`
          : 'no errors';
      return {
        status: 'ok',
        summary: `Probed ${name} with ${report.requests} streaming requests (${args.rate_per_second ? `${args.rate_per_second} req/s, at most ${args.concurrency} in flight` : `concurrency ${args.concurrency}`}, max_tokens ${args.max_tokens}${args.duration_s ? `, for ${args.duration_s} s` : ''}) in ${report.durationSeconds.toFixed(1)} s: TTFT ${ms(report.ttft)}; TPOT ${ms(report.tpot)}; end-to-end ${ms(report.e2e)}; ${report.tokensPerSecond.toFixed(1)} tokens/s; ${errors}.`,
        data: { ...report, endpoint: target.baseUrl },
      };
    },
  });

function f(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(2)} s`;
}
