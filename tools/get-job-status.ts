import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { describeJob } from '../src/jobs/job-runner.ts';
import { jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';

export default (services: ToolServices) =>
  defineTool({
    name: 'get_job_status',
    description: 'Show an optimisation job: state, progress, results or why it failed; without a number, the recent jobs.',
    input: z.object({ job_id: jobId.optional() }),
    risk: () => 'read',
    handler: async (args) => {
      const jobs = services.optimizations?.jobs;
      if (!jobs) throw new AppError('jobs_unavailable', 'Optimisation jobs are not configured.');
      if (args.job_id === undefined) {
        const recent = jobs.recent(10);
        if (recent.length === 0) return { status: 'no_data', summary: 'No optimisation jobs yet.' };
        return {
          status: 'ok',
          summary: recent.map((job) => `• ${describeJob(job).split('\n')[0]}`).join('\n'),
          data: { jobs: recent },
        };
      }
      const job = jobs.get(args.job_id);
      if (!job) throw new AppError('job_unknown', `There is no job ${args.job_id}.`);
      return { status: 'ok', summary: describeJob(job, jobs.tail(job.id, 10)), data: { job, log: jobs.tail(job.id, 50) } };
    },
  });
