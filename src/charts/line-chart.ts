import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

export interface ChartSeries {
  name: string;
  points: Array<{ t: number /* unix seconds */; v: number }>;
}

/** An anomalous point, drawn as a red circle on top of the lines. */
export interface ChartMark {
  t: number;
  v: number;
  label?: string;
}

export interface LineChartSpec {
  title: string;
  /** Y axis title, e.g. "TTFT p95 (s)". */
  yLabel: string;
  /** Appended to the y axis title as " (unit)" unless yLabel already mentions it. */
  unit?: string;
  series: ChartSeries[];
  marks?: ChartMark[];
  /** Total image size in pixels, including axes, legend and title. */
  width?: number;
  height?: number;
  /** Legend title; defaults to "series". */
  legendTitle?: string;
}

const FONT_FAMILY = 'DejaVu Sans';
const MARK_COLOR = '#d62728';
// Vega's default category colours without the reds/pinks, so series never look like anomaly marks.
const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#72b7b2', '#eeca3b', '#9d755d', '#bab0ac', '#17becf'];

let fontFiles: string[] | undefined;

// resvg has no access to system fonts here, so without explicit font files the PNG silently renders no text.
function resolveFontFiles(): string[] {
  if (fontFiles) return fontFiles;
  let dir = 'node_modules/dejavu-fonts-ttf (not resolvable)';
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  } catch {
    // fall through to the error below, naming what was tried
  }
  const files = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`Chart fonts not found; tried ${missing.join(', ')} (is dejavu-fonts-ttf installed?)`);
  fontFiles = files;
  return files;
}

function yTitle(spec: LineChartSpec): string {
  if (!spec.unit || spec.yLabel.includes(`(${spec.unit})`)) return spec.yLabel;
  return `${spec.yLabel} (${spec.unit})`;
}

function toVegaLite(spec: LineChartSpec): TopLevelSpec {
  const width = spec.width ?? 800;
  const height = spec.height ?? 300;
  // Non-finite values become nulls, which the line mark draws as gaps.
  const rows = spec.series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.t))
      .map((p) => ({ series: s.name, t: p.t * 1000, v: Number.isFinite(p.v) ? p.v : null })),
  );
  const marks = (spec.marks ?? [])
    .filter((m) => Number.isFinite(m.t) && Number.isFinite(m.v))
    .map((m) => ({ t: m.t * 1000, v: m.v, label: m.label ?? '' }));
  const hasData = rows.some((r) => r.v !== null);
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 10,
    background: 'white',
    config: { font: FONT_FAMILY, title: { fontSize: 14 }, view: { stroke: null } },
  } as const;

  if (!hasData) {
    return {
      ...base,
      title: `${spec.title} — no data`,
      data: { values: [{}] },
      mark: { type: 'text', text: 'no data', fontSize: 16, color: '#666' },
    };
  }

  const x = { field: 't', type: 'temporal', title: 'time (UTC)', scale: { type: 'utc' }, axis: timeAxis(rows) } as const;
  const y = { field: 'v', type: 'quantitative', title: yTitle(spec), scale: { zero: false } } as const;
  return {
    ...base,
    title: spec.title,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.5, invalid: 'break-paths-filter-domains' },
        encoding: {
          x,
          y,
          color: {
            field: 'series',
            type: 'nominal',
            title: spec.legendTitle ?? 'series',
            scale: { domain: [...new Set(spec.series.map((s) => s.name))], range: SERIES_COLORS },
            legend: { orient: 'right', labelLimit: 200 },
          },
        },
      },
      ...(marks.length === 0
        ? []
        : [
            {
              data: { values: marks },
              layer: [
                {
                  mark: { type: 'point', filled: true, color: MARK_COLOR, size: 60, stroke: 'white', strokeWidth: 1, opacity: 1 },
                  encoding: { x, y },
                },
                {
                  mark: { type: 'text', color: MARK_COLOR, dy: -10, fontSize: 10 },
                  encoding: { x, y, text: { field: 'label' } },
                },
              ],
            },
          ]),
    ],
  } as TopLevelSpec;
}

const HOUR_MS = 3_600_000;

/**
 * Labels that read at the chart's span, in UTC as the answers' times are: clock times within a
 * day and a half, dates with times within four days, dates beyond (Vega's default repeats "12 PM").
 */
function timeAxis(rows: ReadonlyArray<{ t: number }>) {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    first = Math.min(first, row.t);
    last = Math.max(last, row.t);
  }
  const span = last - first;
  // On a utc scale Vega formats and places ticks in UTC.
  const common = { labelOverlap: true, grid: false } as const;
  if (span <= 36 * HOUR_MS) return { ...common, format: '%H:%M' };
  if (span <= 4 * 24 * HOUR_MS) return { ...common, format: '%b %d %H:%M', tickCount: { interval: 'hours', step: 12 } };
  const days = Math.max(1, Math.ceil(span / (24 * HOUR_MS) / 8));
  return { ...common, format: '%b %d', tickCount: { interval: 'day', step: days } };
}

export async function renderLineChartSvg(spec: LineChartSpec): Promise<string> {
  // Vega is loaded when the first chart is drawn, not by every module that can draw one (the CLI starts faster).
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(toVegaLite(spec)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderLineChartPng(spec: LineChartSpec): Promise<Buffer> {
  const font = { fontFiles: resolveFontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY };
  const [svg, { Resvg }] = await Promise.all([renderLineChartSvg(spec), import('@resvg/resvg-js')]);
  return new Resvg(svg, { font, background: 'white' }).render().asPng();
}

/** Writes `<dir>/<safe baseName>-<timestamp>.png` (creating dir) and returns the absolute path. */
export async function saveLineChart(spec: LineChartSpec, dir: string, baseName: string): Promise<string> {
  const safe =
    baseName
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+|-+$/g, '')
      .slice(0, 80) || 'chart';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = resolve(dir, `${safe}-${stamp}.png`);
  const png = await renderLineChartPng(spec);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, png);
  return file;
}
