import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { describeJob } from '../src/jobs/job-runner.ts';
import { deploymentName, jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'get_job_status',
    description:
      'Show an optimisation job: state, progress, results or why it failed. Without a number, the latest job of this conversation in full and the other recent jobs (of a deployment, when given).',
    input: z.object({
      job_id: jobId.optional(),
      deployment: deploymentName.optional().describe('Without job_id: only the jobs of this deployment'),
    }),
    risk: () => 'read',
    outsideText: true,
    handler: async (args, context) => {
      const jobs = services.optimizations?.jobs;
      if (!jobs) throw new AppError('jobs_unavailable', 'Optimisation jobs are not configured.');
      if (args.job_id === undefined) {
        const recent = jobs
          .recent(args.deployment ? 100 : 10)
          .filter((job) => !args.deployment || job.deployment === args.deployment);
        if (recent.length === 0)
          return { status: 'no_data', summary: `No optimisation jobs yet${args.deployment ? ` for ${args.deployment}` : ''}.` };
        // "How is the quantisation going?" asks about the job this conversation started.
        const latest = recent.find((job) => job.threadId === context.threadId);
        const others = recent.filter((job) => job !== latest).slice(0, 10);
        const list = others.map((job) => `• ${describeJob(job).split('\n')[0]}`).join('\n');
        return {
          status: 'ok',
          summary: latest
            ? `${describeJob(latest, jobs.tail(latest.id, 10))}${others.length > 0 ? `\nOther recent jobs:\n${list}` : ''}`
            : list,
          data: { jobs: recent.slice(0, 10) },
        };
      }
      const job = jobs.get(args.job_id);
      if (!job) throw new AppError('job_unknown', `There is no job ${args.job_id}.`);
      return { status: 'ok', summary: describeJob(job, jobs.tail(job.id, 10)), data: { job, log: jobs.tail(job.id, 50) } };
    },
  });
