import { z } from 'zod';
import { compareWindows } from '../src/analysis/logs/compare.ts';
import { AppError } from '../src/errors.ts';
import { parseTimeRange } from '../src/time/time-range.ts';
import { deploymentName, timeRange } from '../src/tools/common-fields.ts';
import { unknownDeployment } from '../src/tools/known-deployment.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

const MAX_LINES = 200_000;

export default (services: ToolServices) =>
  defineTool({
    name: 'analyze_logs',
    description:
      "Mine a deployment's logs into templates (Drain): the most common in the range with counts, and those that are new or spiking against the preceding window of the same length.",
    input: z.object({
      deployment: deploymentName,
      range: timeRange.default('last 1h'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      const unknown = unknownDeployment(services, args.deployment);
      if (unknown) return unknown;
      if (!services.logs) throw new AppError('logs_unavailable', 'No log source is configured.');
      const range = parseTimeRange(args.range, context.now);
      const span = range.end.getTime() - range.start.getTime();
      const [baseline, current] = await Promise.all([
        services.logs.lines({
          deployment: args.deployment,
          start: new Date(range.start.getTime() - span),
          end: range.start,
          limit: MAX_LINES,
        }),
        services.logs.lines({ deployment: args.deployment, start: range.start, end: range.end, limit: MAX_LINES }),
      ]);
      if (current.length === 0)
        return {
          status: 'no_data',
          summary: `No log lines from ${args.deployment} over ${range.label} (${services.logs.name} source).`,
        };
      const comparison = compareWindows(
        baseline.map((line) => line.message),
        current.map((line) => line.message),
      );
      const fmt = (t: { template: string; current: number; baseline: number; ratio: number }) =>
        `${t.current}× ${t.template.length > 160 ? `${t.template.slice(0, 160)}…` : t.template}`;
      const parts = [
        `${current.length} log lines from ${args.deployment} over ${range.label} in ${comparison.templates} templates (baseline: the ${baseline.length} lines of the window before).`,
        `Most common:\n${comparison.top
          .slice(0, 5)
          .map((t) => `• ${fmt(t)}`)
          .join('\n')}`,
      ];
      if (comparison.new.length > 0)
        parts.push(
          `New in this window:\n${comparison.new
            .slice(0, 5)
            .map((t) => `• ${fmt(t)}`)
            .join('\n')}`,
        );
      if (comparison.spiking.length > 0)
        parts.push(
          `Spiking:\n${comparison.spiking
            .slice(0, 5)
            .map((t) => `• ${fmt(t)} (${t.ratio.toFixed(1)}× the baseline rate)`)
            .join('\n')}`,
        );
      return { status: 'ok', summary: parts.join('\n'), data: comparison };
    },
  });
