/**
 * The demo's stand-in for a compression job (what llm-compressor's oneshot or a distillation
 * script does on a GPU): it prints progress the way those tools do, takes a few seconds, and
 * writes the candidate's config to the output directory. Run as a child process by the local
 * job executor, so cancellation, logs and exit codes are real.
 *
 *   node --import tsx src/demo/run-compression.ts quantize --model mistral-7b --method awq --output DIR [--seconds 3]
 *   node --import tsx src/demo/run-compression.ts distill --model llama-3-70b --student llama-3-8b --output DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findModel } from '../analysis/model-catalogue.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    method: { type: 'string' },
    student: { type: 'string' },
    output: { type: 'string' },
    seconds: { type: 'string', default: '3' },
  },
});
const mode = positionals[0];
const fail = (message: string): never => {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
};
if (mode !== 'quantize' && mode !== 'distill') fail('the first argument must be quantize or distill');
const model = values.model ?? fail('--model is required');
if (!findModel(model)) fail(`unknown model ${model}`);
if (!values.output) fail('--output is required');
if (mode === 'quantize' && !['awq', 'gptq', 'fp8', 'int8'].includes(values.method ?? ''))
  fail('--method must be awq, gptq, fp8 or int8');
if (mode === 'distill' && !findModel(values.student ?? '')) fail(`unknown student model ${values.student ?? '(none)'}`);

process.on('SIGTERM', () => {
  process.stdout.write('received SIGTERM, stopping\n');
  process.exit(143);
});

const steps = 20;
const stepMs = (Number(values.seconds) * 1000) / steps;
const label =
  mode === 'quantize' ? `Calibrating ${model} for ${values.method} (512 samples)` : `Distilling ${model} into ${values.student}`;
process.stdout.write(`${label}\n`);
for (let step = 1; step <= steps; step++) {
  await new Promise((resolve) => setTimeout(resolve, stepMs));
  const percent = Math.round((step / steps) * 100);
  process.stdout.write(
    `${mode === 'quantize' ? 'Calibrating' : 'Training'}: ${percent}%|${'█'.repeat(step)}${' '.repeat(steps - step)}| ${step * 25}/${steps * 25}\n`,
  );
}
mkdirSync(values.output as string, { recursive: true });
const config =
  mode === 'quantize'
    ? {
        base_model: model,
        quantization_config: { quant_method: values.method, bits: values.method === 'fp8' || values.method === 'int8' ? 8 : 4 },
      }
    : { teacher: model, student: values.student };
writeFileSync(join(values.output as string, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
process.stdout.write(`Saved ${mode === 'quantize' ? 'compressed model' : 'student'} to ${values.output}\n`);
