import { z } from 'zod';
import { AppError } from '../../errors.ts';

/** One serving configuration: a value for every knob of a search space. */
export type Config = Record<string, number | string>;

/** Enumerating and scoring every config must stay cheap: the optimisers look at the whole grid on each suggestion. */
export const MAX_GRID_SIZE = 20_000;

const VALUE_ERROR = 'must be a finite number or a non-empty string';

const knobValues = z
  .array(z.union([z.number(), z.string().min(1, { error: VALUE_ERROR })], { error: VALUE_ERROR }), {
    error: 'must be a list of numbers or a list of strings',
  })
  .min(1, { error: 'must list at least one value' })
  .superRefine((values, context) => {
    const numbers = values.filter((value) => typeof value === 'number').length;
    if (numbers > 0 && numbers < values.length) {
      context.addIssue({
        code: 'custom',
        message: 'mixes numbers and strings; a knob is either ordinal (numbers) or categorical (strings)',
      });
    }
    const repeated = new Set(values.filter((value, i) => values.indexOf(value) !== i));
    for (const value of repeated) {
      context.addIssue({ code: 'custom', message: `lists ${JSON.stringify(value)} more than once; values must be distinct` });
    }
  });

/** A search space as a person writes it: knob name → the values to try. */
export const searchSpaceSchema = z
  .record(z.string(), knobValues, { error: 'must be an object mapping knob names to lists of values' })
  .describe('Knob name → the values to try: numbers are ordinal (neighbours are similar), strings are categories')
  .superRefine((space, context) => {
    const knobs = Object.values(space);
    if (knobs.length === 0) context.addIssue({ code: 'custom', message: 'must define at least one knob' });
    if (Object.keys(space).some((name) => name.trim() === '')) {
      context.addIssue({ code: 'custom', message: 'has a knob without a name' });
    }
    const size = knobs.reduce((product, values) => product * values.length, 1);
    if (size > MAX_GRID_SIZE) {
      context.addIssue({
        code: 'custom',
        message: `has ${size} configs; at most ${MAX_GRID_SIZE} can be searched, so drop values or knobs`,
      });
    }
  });

export type SearchSpaceDefinition = z.infer<typeof searchSpaceSchema>;

/** A numeric knob is ordinal (neighbouring values are similar); a string knob is categorical. */
export type Knob =
  | { name: string; kind: 'ordinal'; values: readonly number[] }
  | { name: string; kind: 'categorical'; values: readonly string[] };

/** Validates a user-given space; throws AppError `search_space_invalid` listing every problem. */
export function parseSearchSpace(input: unknown): SearchSpace {
  const parsed = searchSpaceSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [knob, index] = issue.path;
      const where =
        knob === undefined
          ? 'the search space'
          : `knob ${String(knob)}${typeof index === 'number' ? ` value #${index + 1}` : ''}`;
      return `${where} ${issue.message}`;
    });
    throw new AppError('search_space_invalid', `Invalid search space: ${problems.join('; ')}`);
  }
  return new SearchSpace(parsed.data);
}

/** A validated grid of discrete knobs: enumeration, stable keys and a [0, 1] feature encoding for models. */
export class SearchSpace {
  readonly knobs: readonly Knob[];
  /** Length of an encoded feature vector: one per ordinal knob, one per category. */
  readonly dimensions: number;
  readonly size: number;
  private grid: Config[] | undefined;

  /** Use {@link parseSearchSpace} for untrusted input; this assumes a valid definition. */
  constructor(definition: SearchSpaceDefinition) {
    this.knobs = Object.entries(definition).map(([name, values]): Knob => {
      if (values.every((value) => typeof value === 'number')) {
        // Ordinal order is numeric order, whatever order the person listed them in.
        return { name, kind: 'ordinal', values: [...values].sort((a, b) => a - b) };
      }
      return { name, kind: 'categorical', values: values.map(String) };
    });
    this.dimensions = this.knobs.reduce((sum, knob) => sum + (knob.kind === 'ordinal' ? 1 : knob.values.length), 0);
    this.size = this.knobs.reduce((product, knob) => product * knob.values.length, 1);
  }

  /** Every config of the grid, the last knob varying fastest. */
  configs(): readonly Config[] {
    if (this.grid) return this.grid;
    let grid: Config[] = [{}];
    for (const knob of this.knobs) {
      grid = grid.flatMap((partial) => knob.values.map((value) => ({ ...partial, [knob.name]: value })));
    }
    this.grid = grid;
    return grid;
  }

  /** A key that is the same for equal configs whatever their property order. */
  key(config: Config): string {
    return this.knobs.map((knob) => `${knob.name}=${JSON.stringify(config[knob.name])}`).join(' ');
  }

  /** Position of each knob's value in its (sorted) list. */
  indices(config: Config): number[] {
    return this.knobs.map((knob) => (knob.values as readonly (number | string)[]).indexOf(config[knob.name] as number | string));
  }

  fromIndices(indices: readonly number[]): Config {
    const config: Config = {};
    this.knobs.forEach((knob, i) => {
      config[knob.name] = knob.values[indices[i] as number] as number | string;
    });
    return config;
  }

  /** Throws AppError `tuning_config_invalid` naming the first knob that is missing, unknown or out of range. */
  assertContains(config: Config): void {
    const known = new Set(this.knobs.map((knob) => knob.name));
    const extra = Object.keys(config).find((name) => !known.has(name));
    if (extra !== undefined) {
      throw new AppError('tuning_config_invalid', `config has knob ${extra}, which the search space does not define`);
    }
    for (const knob of this.knobs) {
      const value = config[knob.name];
      if (value === undefined) throw new AppError('tuning_config_invalid', `config has no value for knob ${knob.name}`);
      if (!(knob.values as readonly (number | string)[]).includes(value as number | string)) {
        throw new AppError(
          'tuning_config_invalid',
          `config has ${knob.name}=${JSON.stringify(value)}; expected one of ${knob.values.map((v) => JSON.stringify(v)).join(', ')}`,
        );
      }
    }
  }

  /**
   * Features in [0, 1]: an ordinal knob by log2 of its value when all are positive (powers of two
   * are evenly spaced), else linearly, scaled by its range; a categorical knob one-hot, scaled by
   * 1/√2 so that two different categories are as far apart as the two ends of an ordinal knob.
   */
  encode(config: Config): number[] {
    const features: number[] = [];
    for (const knob of this.knobs) {
      if (knob.kind === 'ordinal') features.push(scaleOrdinal(knob.values, config[knob.name] as number));
      else for (const category of knob.values) features.push(config[knob.name] === category ? Math.SQRT1_2 : 0);
    }
    return features;
  }

  /** Which knob each feature of {@link encode} belongs to (one-hot features share their knob). */
  featureKnobs(): number[] {
    return this.knobs.flatMap((knob, i) => (knob.kind === 'ordinal' ? [i] : knob.values.map(() => i)));
  }
}

function scaleOrdinal(values: readonly number[], value: number): number {
  const logScale = values.every((v) => v > 0);
  const transform = (v: number) => (logScale ? Math.log2(v) : v);
  const low = transform(values[0] as number);
  const high = transform(values[values.length - 1] as number);
  return high > low ? (transform(value) - low) / (high - low) : 0;
}
