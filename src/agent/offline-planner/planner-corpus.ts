import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Plan } from './plan-request.ts';

const plannerCase = z.object({
  u: z.string().min(1),
  tool: z.string().min(1).nullable(),
  has: z.array(z.string()).default([]),
  lang: z.string().optional(),
  family: z.string().optional(),
});

/** One labelled request: the tool it should reach (null: the planner must ask back) and strings its arguments must hold. */
export type PlannerCase = z.infer<typeof plannerCase>;

/** Reads a JSON-lines corpus, naming the file and line of anything malformed. */
export function readPlannerCases(path: string | URL): PlannerCase[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line, index) => {
      if (line.trim() === '') return [];
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`${String(path)}:${index + 1}: not JSON; expected {"u": "...", "tool": "..." | null, "has": [...]}`);
      }
      const parsed = plannerCase.safeParse(json);
      if (!parsed.success) throw new Error(`${String(path)}:${index + 1}: ${z.prettifyError(parsed.error)}`);
      return [parsed.data];
    });
}

/** Whether a plan reaches the case's tool (or asks back when the case says so), and whether its arguments hold every `has`. */
export function scorePlan(plan: Plan, expected: PlannerCase): { tool: boolean; args: boolean } {
  if (expected.tool === null) {
    const asked = plan.kind === 'clarify';
    return { tool: asked, args: asked };
  }
  const call = plan.kind === 'calls' ? plan.calls[0] : undefined;
  const tool = call?.tool === expected.tool;
  const json = JSON.stringify(call?.args ?? {});
  return { tool, args: tool && expected.has.every((fragment) => json.includes(fragment)) };
}
