import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'cancel_job',
    description: 'Cancel a queued or running optimisation job; its trial deployments are torn down.',
    input: z.object({ job_id: jobId }),
    // Stopping a job only stops spending and changes no serving, so it needs no approval; it is audited.
    risk: () => 'read',
    handler: async (args, context) => {
      const optimizations = services.optimizations;
      if (!optimizations) throw new AppError('jobs_unavailable', 'Optimisation jobs are not configured.');
      const outcome = optimizations.runner.cancel(args.job_id, context.userId);
      if (!outcome.ok) return { status: 'error', code: 'job_not_cancelled', summary: outcome.text };
      const job = optimizations.jobs.get(args.job_id);
      services.audit?.append({
        actor: context.userId,
        action: 'cancelled',
        tool: 'cancel_job',
        deployment: job?.deployment,
        environment: job?.environment,
        details: { job: args.job_id },
      });
      return { status: 'ok', summary: outcome.text };
    },
  });
