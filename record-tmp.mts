import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startPrometheus } from './test/support/prometheus-server.ts';

const MODEL = 'llama-3-8b';
const t0 = Date.now();
const B: Array<[string, number]> = [
  ['0.001', 0],
  ['0.005', 0],
  ['0.01', 0],
  ['0.02', 0],
  ['0.04', 0],
  ['0.06', 1],
  ['0.08', 2],
  ['0.1', 3],
  ['0.25', 6],
  ['0.5', 8],
  ['0.75', 9],
  ['1.0', 9.5],
  ['2.5', 10],
  ['5.0', 10],
  ['7.5', 10],
  ['10.0', 10],
  ['+Inf', 10],
];
function expo(e: number) {
  const out: string[] = [];
  for (const [m, f] of [
    [MODEL, 1],
    ['mistral-7b', 0.6],
  ] as Array<[string, number]>) {
    const l = `engine="0",model_name="${m}"`;
    out.push(`vllm:num_requests_waiting{${l}} ${m === MODEL ? 3 : 1}`);
    out.push(`vllm:num_requests_running{${l}} 12`);
    out.push(`vllm:gpu_cache_usage_perc{${l}} ${m === MODEL ? 0.42 : 0.17}`);
    for (const [r, p] of [
      ['stop', 4],
      ['length', 1],
      ['abort', 0],
    ] as Array<[string, number]>)
      out.push(`vllm:request_success_total{engine="0",finished_reason="${r}",model_name="${m}"} ${p * f * e}`);
    for (const [le, p] of B) out.push(`vllm:time_to_first_token_seconds_bucket{${l},le="${le}"} ${Math.round(p * f * e)}`);
    out.push(`vllm:time_to_first_token_seconds_count{${l}} ${Math.round(10 * f * e)}`);
    out.push(`vllm:time_to_first_token_seconds_sum{${l}} ${3 * f * e}`);
  }
  return out.join('\n') + '\n';
}
const srv = createServer((q, r) => {
  r.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  r.end(expo((Date.now() - t0) / 1000));
});
await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
const port = (srv.address() as any).port;
const p = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeIntervalSeconds: 1 });
await new Promise((r) => setTimeout(r, 25000));
const dir = '/tmp/promrec';
mkdirSync(dir, { recursive: true });
async function rec(name: string, path: string, params: Record<string, string>) {
  const u = new URL(p.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const r = await fetch(u);
  const t = await r.text();
  writeFileSync(`${dir}/${name}.json`, t);
  console.log(name, r.status, r.headers.get('content-type'), t.slice(0, 300));
}
const end = Date.now() / 1000,
  start = end - 20;
await rec('label-names', '/api/v1/label/__name__/values', {});
await rec('ttft', '/api/v1/query_range', {
  query: `histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name="${MODEL}"}[4s])))`,
  start: String(start),
  end: String(end),
  step: '5',
});
await rec('kv', '/api/v1/query_range', {
  query: `avg by (model_name) (vllm:gpu_cache_usage_perc)`,
  start: String(start),
  end: String(end),
  step: '5',
});
await rec('parse', '/api/v1/query_range', { query: `rate(up[5m]`, start: String(start), end: String(end), step: '5' });
await rec('exec', '/api/v1/query_range', {
  query: `label_replace(vllm:request_success_total{model_name="llama-3-8b"}, "finished_reason", "x", "", "")`,
  start: String(start),
  end: String(end),
  step: '5',
});
await rec('toomany', '/api/v1/query_range', { query: `up`, start: String(start - 86400 * 30), end: String(end), step: '60' });
await rec('nan', '/api/v1/query_range', {
  query: `histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name="nobody"}[4s])) or vector(0)/0)`,
  start: String(start),
  end: String(end),
  step: '5',
});
await p.stop();
srv.close();
