import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** What one test file cost: wall time of its phases and the CPU it used (with file-timings-setup.ts). */
export interface FileTiming {
  file: string;
  project: string;
  tests: number;
  /** Import and collect, then tests and hooks, in seconds of wall time. */
  collectSeconds: number;
  runSeconds: number;
  cpuSeconds: { own: number; children: number } | undefined;
}

/**
 * Prints one line per test file, slowest first: wall seconds (collect + tests and hooks) and CPU
 * seconds (the file's process and its waited-for children). With TEST_TIMINGS=path the rows are
 * also written there as JSON, to compare runs.
 */
export default class FileTimingsReporter implements Reporter {
  private readonly rows: FileTiming[] = [];

  onTestModuleEnd(module: TestModule): void {
    const diagnostic = module.diagnostic();
    const meta = module.meta() as { cpuSeconds?: { own: number; children: number } };
    this.rows.push({
      file: relative(process.cwd(), module.moduleId),
      project: module.project.name,
      tests: [...module.children.allTests()].length,
      collectSeconds: diagnostic.collectDuration / 1000,
      runSeconds: diagnostic.duration / 1000,
      cpuSeconds: meta.cpuSeconds,
    });
  }

  onTestRunEnd(): void {
    const rows = [...this.rows].sort((a, b) => b.collectSeconds + b.runSeconds - (a.collectSeconds + a.runSeconds));
    const lines = rows.map((row) => {
      const cpu = row.cpuSeconds
        ? `${row.cpuSeconds.own.toFixed(1).padStart(6)} ${row.cpuSeconds.children.toFixed(1).padStart(6)}`
        : '';
      return `${(row.collectSeconds + row.runSeconds).toFixed(1).padStart(7)} ${row.collectSeconds.toFixed(1).padStart(6)} ${row.runSeconds.toFixed(1).padStart(6)} ${cpu}  ${row.project.padEnd(11)} ${row.file}`;
    });
    const sum = (pick: (row: FileTiming) => number) => rows.reduce((total, row) => total + pick(row), 0).toFixed(1);
    process.stdout.write(
      `\n  wall = collect + run (s)   cpu own + children (s)   project   file\n${lines.join('\n')}\n  total wall ${sum((r) => r.collectSeconds + r.runSeconds)} s, cpu ${sum((r) => r.cpuSeconds?.own ?? 0)} + ${sum((r) => r.cpuSeconds?.children ?? 0)} s over ${rows.length} files\n`,
    );
    const out = process.env.TEST_TIMINGS;
    if (out && out !== '1') writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
  }
}
