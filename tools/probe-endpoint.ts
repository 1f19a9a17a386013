import { z } from 'zod';
import { deploymentName } from '../src/tools/common-fields.ts';
import { defineTool } from '../src/tools/tool-definition.ts';

export default defineTool({
  name: 'probe_endpoint',
  description:
    "Send N requests to a deployment's OpenAI-compatible endpoint and measure time to first token, time per output token, end-to-end latency and errors.",
  input: z.object({
    deployment: deploymentName,
    requests: z.number().int().min(1).max(1000).default(10).describe('Number of requests'),
    concurrency: z.number().int().min(1).max(256).default(1).describe('Requests in flight at once'),
    max_tokens: z.number().int().min(1).max(8192).default(128).describe('Output tokens per request'),
  }),
  risk: () => 'read',
});
