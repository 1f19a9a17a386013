import type { ToolResult } from './tool-definition.ts';
import type { ToolServices } from './tool-services.ts';

/** A written name's parts: split at separators and where letters turn to digits ("qwen2-7b" → qwen, 2, 7b). */
function nameParts(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[-_.\s/:]+/)
    .flatMap((part) => part.split(/(?<=[a-z])(?=\d)/))
    .filter((part) => part !== '');
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Edit distance between two names over their parts: a part replaced costs its share of
 * changed characters (0..1), a part added or left out costs 1. "mistral-8b" is 0.5 from
 * "mistral-7b"; "llama3-8b" is 0 from "llama-3-8b".
 */
export function nameDistance(written: string, known: string): number {
  const a = nameParts(written);
  const b = nameParts(known);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const x = a[i - 1] as string;
      const y = b[j - 1] as string;
      const replace = x === y ? 0 : levenshtein(x, y) / Math.max(x.length, y.length);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + replace);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Whether every part of the written name appears, in order, among the known name's ("mistral" or "7b" in "mistral-7b"). */
function isPartOf(written: string, known: string): boolean {
  const parts = nameParts(known);
  let at = 0;
  for (const part of nameParts(written)) {
    at = parts.indexOf(part, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

/** At most half a part apart is a likely slip of the same name. */
const CLOSE = 0.5;

/** Known names nearest first, and those close enough to ask "did you mean …?" about. */
export function nearestNames(written: string, known: readonly string[]): { nearest: string[]; close: string[] } {
  const ranked = [...new Set(known)]
    .map((name) => ({ name, distance: nameDistance(written, name) }))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  const close = ranked.filter((r) => r.distance <= CLOSE || isPartOf(written, r.name)).map((r) => r.name);
  // The names worth asking about lead the list, then the rest by distance.
  return { nearest: [...close, ...ranked.map((r) => r.name).filter((name) => !close.includes(name))], close: close.slice(0, 3) };
}

/**
 * The answer for a deployment the registry does not know, naming the nearest known ones;
 * undefined when the name is known, none is given, or the registry knows no deployments at
 * all (then the metrics source or backend decides, e.g. Prometheus without a fleet).
 */
export function unknownDeployment(services: Pick<ToolServices, 'deployments'>, name: string | undefined): ToolResult | undefined {
  if (name === undefined) return undefined;
  const known = services.deployments.names();
  if (known.length === 0 || known.includes(name)) return undefined;
  const { nearest, close } = nearestNames(name, known);
  const guess = close.length > 0 ? `: did you mean ${close.join(' or ')}? Deployments: ` : '; deployments: ';
  return {
    status: 'error',
    code: 'deployment_unknown',
    summary: `I know no deployment named ${name}${guess}${nearest.join(', ')}.`,
    data: { deployment: name, didYouMean: close, deployments: nearest },
  };
}
