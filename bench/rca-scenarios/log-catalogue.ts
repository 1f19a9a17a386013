import type { Deployment, Pod } from './fleet.ts';
import type { Random } from './random.ts';

/**
 * Messages as vLLM (0.5–0.10), PyTorch/CUDA, NCCL, uvicorn, the NVIDIA driver and common
 * Python clients print them. Kept apart from the incidents so the same wording is used by
 * causes, by confounders and by routine noise.
 */
export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface Message {
  level: Level;
  source: string;
  text: string;
  /** Lines printed after it without a time of their own (a traceback). */
  continuation?: string[] | undefined;
}

const m = (level: Level, source: string, text: string, continuation?: string[]): Message => ({
  level,
  source,
  text,
  continuation,
});

function requestId(r: Random): string {
  return r.pick([`chatcmpl-${r.hex(32)}`, `cmpl-${r.hex(32)}`, `chatcmpl-${r.hex(8)}-${r.hex(4)}-${r.hex(12)}`]);
}

function clientAddress(r: Random): string {
  return `10.${r.int(0, 63)}.${r.int(0, 255)}.${r.int(2, 254)}:${r.int(30000, 65000)}`;
}

/** The lines a vLLM pod prints while it starts (model load, KV blocks, CUDA graphs, server up). */
export function startupLines(
  r: Random,
  d: Deployment,
  pod: Pod,
  opts: { version: string; args?: string; backend?: string },
): Message[] {
  const out: Message[] = [
    m('INFO', 'api_server.py:585', `vLLM API server version ${opts.version}`),
    m(
      'INFO',
      'api_server.py:586',
      opts.args ??
        `args: Namespace(host=None, port=8000, model='${d.model}', served_model_name=['${d.name}'], tensor_parallel_size=${d.tensorParallel}, max_model_len=${d.params.maxModelLen}, gpu_memory_utilization=0.9, max_num_seqs=${d.params.slots}, disable_log_requests=True)`,
    ),
    m(
      'INFO',
      'llm_engine.py:237',
      `Initializing an LLM engine (v${opts.version}) with config: model='${d.model}', tokenizer='${d.model}', dtype=torch.bfloat16, max_seq_len=${d.params.maxModelLen}, tensor_parallel_size=${d.tensorParallel}, seed=0, served_model_name=${d.name}, enable_prefix_caching=True`,
    ),
  ];
  if (d.tensorParallel > 1) {
    out.push(
      m('INFO', 'utils.py:960', `Found nccl from library libnccl.so.2`),
      m('INFO', 'pynccl.py:63', `vLLM is using nccl==2.21.5`),
      m('INFO', 'nccl', `${pod.node}:${r.int(100, 900)}:${r.int(100, 900)} [0] NCCL INFO Bootstrap : Using eth0:${pod.ip}<0>`),
      m('INFO', 'nccl', `${pod.node}:${r.int(100, 900)}:${r.int(100, 900)} [0] NCCL INFO NET/IB : No device found.`),
    );
    if (r.chance(0.5))
      out.push(
        m(
          'WARNING',
          'custom_all_reduce.py:143',
          'Custom allreduce is disabled because your platform lacks GPU P2P capability or P2P test failed. To silence this warning, specify disable_custom_all_reduce=True explicitly.',
        ),
      );
  }
  out.push(m('INFO', 'selector.py:135', opts.backend ?? 'Using Flash Attention backend.'));
  out.push(m('INFO', 'model_runner.py:1072', `Loading model weights took ${r.uniform(3, 70).toFixed(4)} GB`));
  out.push(
    m(
      'INFO',
      'gpu_executor.py:122',
      `# GPU blocks: ${Math.round(d.params.kvTokens / 16)}, # CPU blocks: ${r.pick([2048, 4096])}`,
    ),
  );
  out.push(
    m(
      'INFO',
      'gpu_executor.py:126',
      `Maximum concurrency for ${d.params.maxModelLen} tokens per request: ${(d.params.kvTokens / d.params.maxModelLen).toFixed(2)}x`,
    ),
  );
  out.push(
    m(
      'INFO',
      'model_runner.py:1400',
      "Capturing cudagraphs for decoding. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.",
    ),
  );
  out.push(m('INFO', 'model_runner.py:1528', `Graph capturing finished in ${r.int(5, 40)} secs.`));
  out.push(m('INFO', 'launcher.py:19', 'Available routes are:'));
  out.push(m('INFO', 'server.py:82', 'Started server process [1]'));
  out.push(m('INFO', 'on.py:48', 'Waiting for application startup.'));
  out.push(m('INFO', 'on.py:62', 'Application startup complete.'));
  out.push(m('INFO', 'server.py:214', 'Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)'));
  return out;
}

export function shutdownLines(): Message[] {
  return [
    m('INFO', 'server.py:264', 'Shutting down'),
    m('INFO', 'on.py:67', 'Waiting for application shutdown.'),
    m('INFO', 'on.py:76', 'Application shutdown complete.'),
    m('INFO', 'server.py:92', 'Finished server process [1]'),
  ];
}

/** vLLM's periodic engine stats line, in the layout of the version the scenario runs. */
export function statsLine(
  style: 'v0' | 'v1',
  s: { prompt: number; generation: number; running: number; waiting: number; kv: number; prefixHit: number },
): Message {
  if (style === 'v0')
    return m(
      'INFO',
      'metrics.py:351',
      `Avg prompt throughput: ${s.prompt.toFixed(1)} tokens/s, Avg generation throughput: ${s.generation.toFixed(1)} tokens/s, Running: ${Math.round(s.running)} reqs, Swapped: 0 reqs, Pending: ${Math.round(s.waiting)} reqs, GPU KV cache usage: ${(s.kv * 100).toFixed(1)}%, CPU KV cache usage: 0.0%.`,
    );
  return m(
    'INFO',
    'loggers.py:116',
    `Engine 000: Avg prompt throughput: ${s.prompt.toFixed(1)} tokens/s, Avg generation throughput: ${s.generation.toFixed(1)} tokens/s, Running: ${Math.round(s.running)} reqs, Waiting: ${Math.round(s.waiting)} reqs, GPU KV cache usage: ${(s.kv * 100).toFixed(1)}%, Prefix cache hit rate: ${(s.prefixHit * 100).toFixed(1)}%`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** uvicorn's access log line. */
export function accessLine(r: Random, status: number, path = '/v1/chat/completions'): Message {
  return m('INFO', 'uvicorn', `${clientAddress(r)} - "POST ${path} HTTP/1.1" ${status} ${STATUS_TEXT[status] ?? ''}`.trim());
}

export function probeLine(r: Random, path: '/health' | '/metrics' | '/v1/models'): Message {
  return m('INFO', 'uvicorn', `${clientAddress(r)} - "GET ${path} HTTP/1.1" 200 OK`);
}

export function preemptionLine(r: Random, style: 'v0' | 'v1', cumulative: number): Message {
  if (style === 'v1')
    return m(
      'WARNING',
      'scheduler.py:302',
      `Preempting request ${requestId(r)} (num_computed_tokens=${r.int(100, 9000)}) because the KV cache is full; total preemptions=${cumulative}`,
    );
  return m(
    'WARNING',
    'scheduler.py:1560',
    `Sequence group ${r.int(1000, 999999)} is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache space. This can affect the end-to-end performance. Increase gpu_memory_utilization or tensor_parallel_size to provide more KV cache memory. total_num_cumulative_preemption=${cumulative}`,
  );
}

const TRACE_SERVING =
  '  File "/usr/local/lib/python3.12/site-packages/vllm/entrypoints/openai/serving_chat.py", line 263, in create_chat_completion';

/** What a GPU that is failing makes the engine print. */
export function gpuErrorLine(
  r: Random,
  pod: Pod,
  kind: 'ecc' | 'lost' | 'illegal' | 'launch' | 'nccl' | 'xid' | 'dead',
): Message {
  const gpu = r.pick(pod.gpus);
  const pci = `0000:${r.pick(['3b', '5e', '86', 'af', '18', '1a'])}:00`;
  switch (kind) {
    case 'ecc':
      return m('ERROR', 'engine.py:160', 'RuntimeError: CUDA error: uncorrectable ECC error encountered', [
        'CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.',
        'For debugging consider passing CUDA_LAUNCH_BLOCKING=1',
      ]);
    case 'lost':
      return m(
        'ERROR',
        'worker.py:412',
        `RuntimeError: CUDA error: unknown error (device ${gpu}); nvidia-smi: Unable to determine the device handle for GPU ${pci}.0: Unknown Error`,
      );
    case 'illegal':
      return m(
        'ERROR',
        'engine.py:160',
        `Request ${requestId(r)} failed: RuntimeError: CUDA error: an illegal memory access was encountered`,
      );
    case 'launch':
      return m(
        'ERROR',
        'async_llm_engine.py:64',
        'Engine background task failed: RuntimeError: CUDA error: unspecified launch failure',
      );
    case 'nccl':
      return m(
        'ERROR',
        'ProcessGroupNCCL.cpp:616',
        `[rank${gpu % 4}]:[E ProcessGroupNCCL.cpp:616] [Rank ${gpu % 4}] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=${r.int(10000, 999999)}, OpType=ALLREDUCE, NumelIn=${r.int(1000, 90000)}, Timeout(ms)=600000) ran for ${r.int(600000, 600900)} milliseconds before timing out.`,
      );
    case 'xid':
      return m(
        'ERROR',
        'gpu_monitor.py:77',
        `NVRM: Xid (PCI:${pci}): ${r.pick([79, 48, 94, 95, 63, 64, 74])}, pid=${r.int(1000, 40000)}, ${r.pick(['GPU has fallen off the bus.', 'An uncorrectable double bit error (DBE) has been detected on GPU.', 'Contained ECC error.', 'NVLink: fatal error detected on link 3'])}`,
      );
    case 'dead':
      return m('ERROR', 'async_llm_engine.py:1012', 'AsyncEngineDeadError: Background loop has errored already.', [
        'Traceback (most recent call last):',
        TRACE_SERVING,
        'vllm.engine.async_llm_engine.AsyncEngineDeadError: Background loop has errored already.',
      ]);
  }
}

/** What a dependency that fails or times out makes the serving stack print. */
export function dependencyErrorLine(r: Random, dependency: string, mode: 'timeout' | 'refused' | 'unavailable'): Message {
  const host = r.pick([
    `${dependency}.internal`,
    `${dependency}.${r.pick(['svc', 'platform', 'search', 'cache'])}.svc.cluster.local`,
    `${dependency}`,
  ]);
  const port = r.pick([80, 8080, 6379, 6333, 9000, 443, 50051]);
  const options: Message[] =
    mode === 'timeout'
      ? [
          m(
            'ERROR',
            'guardrails.py:88',
            `Upstream ${dependency} service timed out after ${r.pick([2000, 3000, 5000, 10000])} ms (POST http://${host}:${port}/v1/check)`,
          ),
          m(
            'ERROR',
            'middleware.py:141',
            `httpx.ReadTimeout: timed out while calling http://${host}:${port}/v1/${r.pick(['search', 'embed', 'check', 'introspect'])}`,
          ),
          m(
            'WARNING',
            'client.py:77',
            `Call to ${dependency} exceeded deadline: StatusCode.DEADLINE_EXCEEDED (grpc ${host}:${port})`,
          ),
          m(
            'ERROR',
            'retrieval.py:212',
            `Retrieval from ${dependency} failed after 3 retries: ReadTimeoutError(HTTPConnectionPool(host='${host}', port=${port}): Read timed out. (read timeout=5))`,
          ),
        ]
      : mode === 'refused'
        ? [
            m(
              'ERROR',
              'cache.py:58',
              `redis.exceptions.ConnectionError: Error 111 connecting to ${host}:${port}. Connection refused.`,
            ),
            m('ERROR', 'retrieval.py:198', `ConnectError: [Errno 111] Connection refused (http://${host}:${port})`),
            m(
              'ERROR',
              'proxy',
              `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111 (${dependency})`,
            ),
          ]
        : [
            m('ERROR', 'auth.py:90', `Token introspection failed: 503 Service Unavailable from https://${host}/introspect`),
            m(
              'ERROR',
              'middleware.py:160',
              `${dependency} returned HTTP 502 Bad Gateway for POST /v1/${r.pick(['check', 'embed', 'query'])}`,
            ),
            m('WARNING', 'client.py:91', `Circuit breaker for ${dependency} is OPEN after 20 consecutive failures`),
          ];
  return r.pick(options);
}

/** A request the engine refuses because it does not fit the context window. */
export function contextLengthLine(r: Random, maxModelLen: number, overBy: number): Message {
  const requested = Math.round(maxModelLen * (1 + overBy));
  const completion = r.pick([256, 512, 1000, 1024, 2048]);
  return r.pick([
    m(
      'ERROR',
      'serving_chat.py:170',
      `Error in preprocessing prompt inputs: This model's maximum context length is ${maxModelLen} tokens. However, you requested ${requested} tokens (${requested - completion} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`,
    ),
    m('WARNING', 'scheduler.py:1097', `Input prompt (${requested} tokens) is too long and exceeds limit of ${maxModelLen}`),
  ]);
}

export function outOfMemoryLine(r: Random): Message {
  const total = r.pick([22.06, 44.52, 79.15]);
  return m(
    'ERROR',
    'engine.py:160',
    `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${r.pick(['512.00 MiB', '1.00 GiB', '2.00 GiB', '3.50 GiB'])}. GPU ${r.int(0, 7)} has a total capacity of ${total} GiB of which ${r.uniform(0.05, 1.5).toFixed(2)} GiB is free. Process ${r.int(1000, 90000)} has ${r.uniform(4, total * 0.5).toFixed(2)} GiB memory in use.`,
  );
}

/** What a bad build prints when it breaks requests (a template, a parser, a tokenizer). */
export function buildErrorLine(r: Random): Message {
  return r.pick([
    m('ERROR', 'serving_chat.py:263', 'Error in applying chat template from request', [
      'Traceback (most recent call last):',
      TRACE_SERVING,
      'jinja2.exceptions.TemplateError: Conversation roles must alternate user/assistant/user/assistant/...',
    ]),
    m('ERROR', 'hermes_tool_parser.py:101', 'Error in extracting tool call from response.', [
      'Traceback (most recent call last):',
      "KeyError: 'arguments'",
    ]),
    m('ERROR', 'httptools_impl.py:414', 'Exception in ASGI application', [
      'Traceback (most recent call last):',
      TRACE_SERVING,
      "TypeError: 'NoneType' object is not subscriptable",
    ]),
    m(
      'ERROR',
      'serving_completion.py:144',
      `Request ${requestId(r)} failed: ValueError: Token id ${r.int(128000, 152000)} is out of vocabulary`,
    ),
  ]);
}

/** Benign lines a new build prints that mention the GPU stack (drivers, NCCL, kernels) without anything being wrong. */
export function hardwareLookingNoise(r: Random, pod: Pod): Message {
  return r.pick([
    m(
      'WARNING',
      'cuda.py:92',
      'Failed to initialize NVML: Driver/library version mismatch; falling back to CUDA runtime queries',
    ),
    m(
      'WARNING',
      'nccl',
      `${pod.node}:${r.int(100, 900)}:${r.int(100, 900)} [0] NCCL WARN NET/Plugin: Failed to find ncclNetPlugin_v8 symbol.`,
    ),
    m('WARNING', 'utils.py:1040', 'CUDA graph capture is disabled for this model: falling back to eager mode'),
    m(
      'WARNING',
      'custom_all_reduce.py:143',
      'Custom allreduce is disabled because your platform lacks GPU P2P capability or P2P test failed.',
    ),
    m(
      'ERROR',
      'engine.py:160',
      `Request ${requestId(r)} failed: RuntimeError: CUDA error: an illegal memory access was encountered`,
    ),
    m(
      'ERROR',
      'custom_op.py:55',
      'RuntimeError: CUDA error: no kernel image is available for execution on the device (compiled for sm_90, running on sm_80)',
    ),
    m('WARNING', 'topology.py:31', 'nvidia-smi topo -m failed: NVLink status unavailable; assuming PCIe topology'),
  ]);
}

/** Routine lines with nothing wrong behind them (client cancellations, scanners, slow clients). */
export function routineNoise(r: Random): Message {
  return r.pick([
    m('WARNING', 'h11_impl.py:409', 'Invalid HTTP request received.'),
    m('INFO', 'async_llm_engine.py:176', `Aborted request ${requestId(r)}.`),
    m('WARNING', 'serving_chat.py:88', 'Client disconnected before the response was complete'),
    m('WARNING', 'protocol.py:61', "The following fields were present in the request but ignored: {'user'}"),
    m(
      'INFO',
      'logger.py:37',
      `Received request ${requestId(r)}: params: SamplingParams(n=1, temperature=${r.pick(['0.0', '0.7', '1.0'])}, max_tokens=${r.pick([256, 512, 1024])})`,
    ),
    m(
      'WARNING',
      'tokenizer.py:210',
      'Token indices sequence length is longer than the specified maximum sequence length for this model',
    ),
    m('DEBUG', 'client.py:33', 'Connection pool is full, discarding connection'),
  ]);
}

/** A short burst of something unusual that is not the incident (a scanner, a noisy client, a retried job). */
export function unrelatedBurst(r: Random): Message {
  return r.pick([
    m('WARNING', 'h11_impl.py:409', 'Invalid HTTP request received.'),
    m(
      'ERROR',
      'serving_chat.py:121',
      `Error with model ${r.pick(['gpt-4', 'text-embedding-3-small', 'claude'])}: The model does not exist.`,
    ),
    m('WARNING', 'lora.py:90', `LoRA adapter 'exp-${r.hex(4)}' requested but not loaded; ignoring`),
    m('ERROR', 'serving_chat.py:140', "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]"),
  ]);
}
