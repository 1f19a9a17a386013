import { z } from 'zod';
import { jobId } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'cancel_job',
  description: 'Cancel a running optimisation job.',
  input: z.object({ job_id: jobId }),
  risk: () => 'write',
});
