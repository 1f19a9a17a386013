import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildHalves,
  CORPUS_TOOLS,
  type CorpusCase,
  parseCorpus,
  splitCorpus,
  stratumOf,
  toJsonl,
} from '../bench/planner-corpus/corpus.ts';

const url = (path: string) => new URL(`../${path}`, import.meta.url);
const read = (path: string) => readFileSync(url(path), 'utf8');
const sourceText = read('bench/planner-corpus/requests.jsonl');
const source = parseCorpus(sourceText, 'requests.jsonl');
const extraPath = 'bench/planner-corpus/dev-extra.jsonl';
const extraText = existsSync(url(extraPath)) ? read(extraPath) : undefined;

describe('planner request corpus', () => {
  it('has committed dev and test halves that are the split of requests.jsonl, plus dev-extra.jsonl in dev', () => {
    const { dev, test } = buildHalves(
      { text: sourceText, name: 'requests.jsonl' },
      extraText === undefined ? undefined : { text: extraText, name: 'dev-extra.jsonl' },
    );
    expect(read('test/fixtures/planner/dev.jsonl')).toBe(toJsonl(dev));
    expect(read('test/fixtures/planner/test.jsonl')).toBe(toJsonl(test));
    expect(test.length).toBeGreaterThanOrEqual(Math.floor(source.length / 2));
  });

  it('adds later requests to dev without moving any request between halves, and refuses one already in the corpus', () => {
    const added = [
      '{"u":"how is the awq job on qwen2-7b coming along","tool":"get_job_status","has":[],"lang":"en","family":"job.status.noid"}',
      '{"u":"qwen2-7b 的 awq 任务进度如何","tool":"get_job_status","has":[],"lang":"zh","family":"job.status.noid"}',
    ].join('\n');
    const before = splitCorpus(source);
    const after = buildHalves({ text: sourceText, name: 'requests.jsonl' }, { text: added, name: 'extra.jsonl' });
    expect(after.test).toEqual(before.test);
    expect(after.dev.map((c) => c.u)).toEqual([
      ...before.dev.map((c) => c.u),
      'how is the awq job on qwen2-7b coming along',
      'qwen2-7b 的 awq 任务进度如何',
    ]);
    const again = JSON.stringify({ ...source[0], u: `  ${source[0]?.u.toUpperCase()} ` });
    expect(() => buildHalves({ text: sourceText, name: 'requests.jsonl' }, { text: again, name: 'extra.jsonl' })).toThrow(
      /extra\.jsonl:1: duplicate of a request already in the corpus/,
    );
  });

  it('splits every (language, tool) stratum evenly and covers every tool in English and Chinese in both halves', () => {
    const { dev, test } = splitCorpus(source);
    const counts = (cases: CorpusCase[]) => {
      const map = new Map<string, number>();
      for (const c of cases) map.set(stratumOf(c), (map.get(stratumOf(c)) ?? 0) + 1);
      return map;
    };
    const [d, t] = [counts(dev), counts(test)];
    for (const key of new Set([...d.keys(), ...t.keys()]))
      expect(Math.abs((d.get(key) ?? 0) - (t.get(key) ?? 0))).toBeLessThanOrEqual(1);
    for (const half of [dev, test])
      for (const tool of [...CORPUS_TOOLS, null])
        for (const lang of ['en', 'zh'])
          expect(
            half.some((c) => c.tool === tool && c.lang === lang),
            `${tool} ${lang}`,
          ).toBe(true);
  });

  it('assigns a request to the same half whatever the order of the source lines', () => {
    const half = (cases: CorpusCase[]) => new Set(splitCorpus(cases).test.map((c) => c.u));
    expect(half([...source].reverse())).toEqual(half(source));
  });

  it('rejects bad lines, naming the line and what was expected', () => {
    const good =
      '{"u":"status of llama-3-8b","tool":"get_deployment_status","has":["llama-3-8b"],"lang":"en","family":"status.one"}';
    const bad = [
      good,
      '{"u":"restart llama-3-8b","tool":"restart_deployment","has":[],"lang":"en","family":"restart"}',
      '{"u":"llama-3-8b 的状态","tool":"get_deployment_status","has":[],"lang":"en","family":"status.one"}',
      '{"u":"thanks","tool":null,"has":["llama-3-8b"],"lang":"en","family":"chitchat"}',
      '{"u":"Status  of llama-3-8b","tool":"get_deployment_status","has":[],"lang":"en","family":"status.one"}',
      '{"u": "oops"',
    ].join('\n');
    expect(() => parseCorpus(good, 'ok.jsonl')).not.toThrow();
    let message = '';
    try {
      parseCorpus(bad, 'bad.jsonl');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('bad.jsonl has 5 problem(s)');
    expect(message).toMatch(/bad\.jsonl:2: tool must be one of get_deployment_status, .* or null/);
    expect(message).toContain('bad.jsonl:3: lang is "en" but the request is Chinese');
    expect(message).toContain('bad.jsonl:4: has must be empty when no tool is expected');
    expect(message).toContain('bad.jsonl:5: duplicate of line 1');
    expect(message).toMatch(/bad\.jsonl:6: not JSON/);
  });
});
