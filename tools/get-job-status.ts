import { z } from 'zod';
import { jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'get_job_status',
  description: 'Show an optimisation job: state, progress, results; without a number, the recent jobs.',
  input: z.object({ job_id: jobId.optional() }),
  risk: () => 'read',
});
