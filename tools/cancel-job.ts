import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import type { Job } from '../src/jobs/job-repository.ts';
import { deploymentName, jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'cancel_job',
    description:
      'Cancel a queued or running optimisation job; its trial deployments are torn down. Without a number, the job still running in this conversation, or the only one running (of a deployment, when given).',
    input: z.object({
      job_id: jobId.optional(),
      deployment: deploymentName.optional().describe('Without job_id: cancel the running job of this deployment'),
    }),
    // Stopping a job only stops spending and changes no serving, so it needs no approval; it is audited.
    risk: () => 'read',
    handler: async (args, context) => {
      const optimizations = services.optimizations;
      if (!optimizations) throw new AppError('jobs_unavailable', 'Optimisation jobs are not configured.');
      let id = args.job_id;
      if (id === undefined) {
        const unfinished = optimizations.jobs
          .inStates(['queued', 'running'])
          .filter((job) => !args.deployment || job.deployment === args.deployment);
        const ofThisThread = unfinished.filter((job) => job.threadId === context.threadId);
        const chosen: Job | undefined = ofThisThread.at(-1) ?? (unfinished.length === 1 ? unfinished[0] : undefined);
        if (!chosen) {
          const scope = args.deployment ? ` for ${args.deployment}` : '';
          if (unfinished.length === 0)
            return { status: 'no_data', summary: `No job is queued or running${scope}; nothing to cancel.` };
          return {
            status: 'error',
            code: 'job_ambiguous',
            summary: `${unfinished.length} jobs are running${scope}: ${unfinished.map((job) => `job ${job.id} (${job.kind} ${job.deployment})`).join(', ')}. Say which, e.g. "cancel job ${unfinished.at(-1)?.id}".`,
          };
        }
        id = chosen.id;
      }
      const outcome = optimizations.runner.cancel(id, context.userId);
      if (!outcome.ok) return { status: 'error', code: 'job_not_cancelled', summary: outcome.text };
      const job = optimizations.jobs.get(id);
      services.audit?.append({
        actor: context.userId,
        action: 'cancelled',
        tool: 'cancel_job',
        deployment: job?.deployment,
        environment: job?.environment,
        details: { job: id },
      });
      return { status: 'ok', summary: outcome.text };
    },
  });
