import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ChartSeries,
  type LineChartSpec,
  renderLineChartPng,
  renderLineChartSvg,
  saveLineChart,
} from '../src/charts/line-chart.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const T0 = 1_760_000_000;

function series(name: string, n: number, base = 1): ChartSeries {
  return { name, points: Array.from({ length: n }, (_, i) => ({ t: T0 + i * 60, v: base + Math.sin(i / 25) * 0.3 })) };
}

function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Counts pixels that are not pure white, undoing PNG scanline filters (resvg writes 8-bit RGBA, non-interlaced). */
function countNonWhitePixels(png: Buffer): number {
  expect({ bitDepth: png[24], colorType: png[25], interlace: png[28] }).toEqual({ bitDepth: 8, colorType: 6, interlace: 0 });
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const { width, height } = pngSize(png);
  const stride = width * 4;
  let prev = Buffer.alloc(stride);
  let count = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? (line[i - 4] ?? 0) : 0;
      const b = prev[i] ?? 0;
      const c = i >= 4 ? (prev[i - 4] ?? 0) : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter ?? 0] ?? 0;
      line[i] = ((line[i] ?? 0) + predictor) & 0xff;
    }
    for (let i = 0; i < stride; i += 4) if (line[i] !== 0xff || line[i + 1] !== 0xff || line[i + 2] !== 0xff) count++;
    prev = line;
  }
  return count;
}

const textOf = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

const spec: LineChartSpec = {
  title: 'TTFT p95 by deployment',
  yLabel: 'TTFT p95 (s)',
  series: [series('llama-70b-prod', 120, 1), series('mistral-7b', 120, 0.5)],
};

describe('line chart rendering', () => {
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('renders a PNG of the requested pixel size, defaulting to 800x300', async () => {
    const png = await renderLineChartPng(spec);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png)).toEqual({ width: 800, height: 300 });

    const small = await renderLineChartPng({ ...spec, width: 640, height: 240 });
    expect(pngSize(small)).toEqual({ width: 640, height: 240 });
  });

  it('puts the title, axis titles and series names in the chart as text', async () => {
    const texts = textOf(await renderLineChartSvg(spec));
    expect(texts).toContain('TTFT p95 by deployment');
    expect(texts).toContain('TTFT p95 (s)');
    expect(texts).toContain('time (UTC)');
    expect(texts).toContain('llama-70b-prod');
    expect(texts).toContain('mistral-7b');
  });

  it('labels the time axis readably for the span shown, in UTC: clock times, dates with times, dates', async () => {
    const T = Date.UTC(2026, 10, 30, 22, 0) / 1000;
    const over = (seconds: number) => [
      { name: 'ttft', points: Array.from({ length: 100 }, (_, i) => ({ t: T + (i * seconds) / 99, v: 1 + (i % 7) })) },
    ];
    const ticks = async (seconds: number) =>
      textOf(await renderLineChartSvg({ ...spec, series: over(seconds) })).filter(
        // Axis labels with digits, other than the y axis' numbers and the titles.
        (t) => /\d/.test(t) && !/^\d+(\.\d+)?$/.test(t) && t !== spec.title && t !== spec.yLabel,
      );
    const hour = await ticks(3600);
    expect(hour.length).toBeGreaterThan(3);
    for (const label of hour) expect(label).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
    const days = await ticks(3 * 86_400);
    for (const label of days) expect(label).toMatch(/^[A-Z][a-z]{2} \d\d [0-2]\d:00$/);
    const week = await ticks(7 * 86_400);
    expect(week.length).toBeGreaterThan(4);
    for (const label of week) expect(label).toMatch(/^[A-Z][a-z]{2} \d\d$/);
    expect(new Set(week).size).toBe(week.length);
    expect(week[0]).toBe('Dec 01');
  });

  it('appends the unit to the y axis title unless it is already there', async () => {
    expect(textOf(await renderLineChartSvg({ ...spec, yLabel: 'TTFT p95', unit: 's' }))).toContain('TTFT p95 (s)');
    expect(textOf(await renderLineChartSvg({ ...spec, unit: 's' }))).not.toContain('TTFT p95 (s) (s)');
  });

  it('draws anomaly marks as red points with their labels', async () => {
    const plain = await renderLineChartSvg(spec);
    const marked = await renderLineChartSvg({
      ...spec,
      marks: [
        { t: T0 + 600, v: 2, label: 'spike' },
        { t: T0 + 1200, v: 1.9 },
      ],
    });
    expect(plain).not.toContain('fill="#d62728"');
    expect(marked.match(/<path[^>]*fill="#d62728"/g)).toHaveLength(2);
    expect(textOf(marked)).toContain('spike');
  });

  it('renders 3 series x 1,000 points quickly into a reasonably small, non-blank PNG', async () => {
    const big: LineChartSpec = {
      title: 'big',
      yLabel: 'tokens/s',
      series: [series('a', 1000, 1), series('b', 1000, 2), series('c', 1000, 3)],
    };
    const started = performance.now();
    const png = await renderLineChartPng(big);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(5000);
    expect(png.length).toBeLessThan(300_000);
    // Three 1,000-point lines plus text should colour well over 1% of the 240,000 pixels.
    const inked = countNonWhitePixels(png);
    expect(inked).toBeGreaterThan(2400);
    // and far more than a chart that only says "no data"
    expect(countNonWhitePixels(await renderLineChartPng({ ...big, series: [] }))).toBeLessThan(inked / 5);
  });

  it('drops NaN and infinite values instead of throwing', async () => {
    const gappy: ChartSeries = {
      name: 'gappy',
      points: [
        { t: T0, v: 1 },
        { t: T0 + 60, v: Number.NaN },
        { t: T0 + 120, v: Number.POSITIVE_INFINITY },
        { t: Number.NaN, v: 3 },
        { t: T0 + 180, v: 2 },
      ],
    };
    const svg = await renderLineChartSvg({ ...spec, series: [gappy], marks: [{ t: T0, v: Number.NaN }] });
    expect(textOf(svg)).toContain('gappy');
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(pngSize(await renderLineChartPng({ ...spec, series: [gappy] }))).toEqual({ width: 800, height: 300 });
  });

  it('says "no data" rather than throwing when there is nothing to plot', async () => {
    for (const series of [[], [{ name: 'empty', points: [] }], [{ name: 'nan', points: [{ t: T0, v: Number.NaN }] }]]) {
      const svg = await renderLineChartSvg({ ...spec, series });
      expect(textOf(svg).join(' ')).toContain('no data');
      expect(pngSize(await renderLineChartPng({ ...spec, series }))).toEqual({ width: 800, height: 300 });
    }
  });

  it('saves a timestamped PNG under the given directory and returns its absolute path', async () => {
    const root = await mkdtemp(join(tmpdir(), 'line-chart-'));
    tempDirs.push(root);
    const dir = join(root, 'nested', 'charts');
    const file = await saveLineChart(spec, dir, 'ttft p95/llama 70b');
    expect(isAbsolute(file)).toBe(true);
    expect(dirname(file)).toBe(dir);
    expect(file).toMatch(/[/\\]ttft-p95-llama-70b-\d{4}-\d{2}-\d{2}T[\d-]+Z\.png$/);
    expect((await stat(file)).size).toBeGreaterThan(1000);
    expect((await readFile(file)).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });
});
