import type { Config } from '../config.ts';
import { Redactor } from '../security/secret-redactor.ts';
import { loadPrompt } from './prompt-library.ts';
import { type AgentOptions, ToolLoopAgent } from './tool-loop-agent.ts';

/**
 * The agent as configured: the system prompt, step and result limits and the redactor come from
 * the config, so the assistant and `llmops plan` build the very same agent around their model and tools.
 */
export function configuredAgent(
  config: Pick<Config, 'AGENT_MAX_STEPS' | 'TOOL_RESULT_MAX_CHARS' | 'REDACT_EMAILS' | 'REDACT_PATTERNS'>,
  parts: Pick<AgentOptions, 'model' | 'provider' | 'modelName' | 'endpoint' | 'executor' | 'metrics' | 'logger' | 'now'>,
): ToolLoopAgent {
  return new ToolLoopAgent({
    ...parts,
    systemPrompt: loadPrompt('system'),
    maxSteps: config.AGENT_MAX_STEPS,
    resultMaxChars: config.TOOL_RESULT_MAX_CHARS,
    redactor: new Redactor({ emails: config.REDACT_EMAILS === 'on', extraPatterns: config.REDACT_PATTERNS }),
  });
}
