import { redactSecrets } from '../src/security/secret-redactor.ts';
import { type CorpusEntry as Entry, leaks, loadSecretCorpus as load } from '../test/support/secret-corpus.ts';

interface Score {
  secrets: number;
  removed: number;
  kindRight: number;
  lookalikes: number;
  unchanged: number;
}

function score(entries: Entry[]): Map<string, Score> {
  const byForm = new Map<string, Score>();
  const bump = (form: string, update: (s: Score) => void) => {
    const s = byForm.get(form) ?? { secrets: 0, removed: 0, kindRight: 0, lookalikes: 0, unchanged: 0 };
    update(s);
    byForm.set(form, s);
  };
  for (const entry of entries) {
    const { text } = redactSecrets(entry.text);
    const form = entry.form ?? (entry.kind === 'none' ? 'lookalike' : 'plain');
    for (const key of [form, 'ALL']) {
      bump(key, (s) => {
        if (entry.kind === 'none') {
          s.lookalikes++;
          if (text === entry.text) s.unchanged++;
        } else {
          s.secrets++;
          if (!leaks(text, entry)) s.removed++;
          if (text.includes(`[REDACTED:${entry.kind}]`)) s.kindRight++;
        }
      });
    }
  }
  return byForm;
}

const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);

/**
 * Secret redaction on the dev corpus (rules were chosen on it) and two held-out corpora (each
 * written before the rules it tests and scored once before anything was changed for it; its
 * misses named families that were then added with dev examples): share of secrets removed,
 * marked with the right kind, and look-alikes left unchanged, by form; then throughput.
 */
export async function benchSecrets(): Promise<void> {
  console.log(
    '\n## Secret redaction (dev = rules chosen on it; each held-out set written before the rules it tests, first scores: held-out 52/53, held-out-2 38/41 removed, all look-alikes unchanged)\n',
  );
  console.log('| set | form | secrets | removed | right kind | look-alikes | unchanged |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const [name, file] of [
    ['dev', 'corpus.jsonl'],
    ['held-out', 'held-out.jsonl'],
    ['held-out-2', 'held-out-2.jsonl'],
  ] as const) {
    const scores = score(load(file));
    const forms = [...scores.keys()].filter((k) => k !== 'ALL').sort();
    for (const form of [...forms, 'ALL']) {
      const s = scores.get(form) as Score;
      console.log(
        `| ${name} | ${form} | ${s.secrets} | ${pct(s.removed, s.secrets)} | ${pct(s.kindRight, s.secrets)} | ${s.lookalikes} | ${pct(s.unchanged, s.lookalikes)} |`,
      );
    }
  }
  const texts = load('corpus.jsonl').map((entry) => entry.text);
  const lines = Array.from({ length: 20_000 }, (_, i) => texts[i % texts.length] ?? '');
  for (const line of lines.slice(0, 500)) redactSecrets(line);
  const started = performance.now();
  for (const line of lines) redactSecrets(line);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\nThroughput: ${Math.round(lines.length / seconds).toLocaleString('en-US')} corpus lines/s (${lines.length} lines).`,
  );
}
