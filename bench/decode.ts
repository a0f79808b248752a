// Decoding speed of ref-small (vocabularies 8000, random weights), counted like the PyTorch peer's
// bench-decode: batches of 32 random source sentences of length 20 (no EOS), exactly 30 output
// steps with EOS disallowed and no early stop (so the work never depends on the weights), encoder
// included; beam 5 and greedy. sentences/s = iters · 32 / seconds; target tokens/s counts output
// tokens (sentences · 30), not beam rows. own_cores and sentences_per_cpu_second help judge runs on a
// shared machine.
// Flags: --backend NAME (default auto), --variant both|beam|greedy, --warmup N (1), --iters N (5),
// --batch-size (32), --src-len (20), --steps (30), --beam (SEARCH_DEFAULTS.beam), --vocab (8000),
// --profile (per-kernel totals of one batch on stderr).
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { DEFAULT_BACKEND, resolveBackend, type BackendName } from '../model/backend.js';
import { REF_SMALL } from '../model/config.js';
import { search, SEARCH_DEFAULTS } from '../model/search.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { SeededRandom } from '../random.js';
import { openblasCore, peakRssMb, printFigure, printKernelTotals, wasmHeapMb } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: DEFAULT_BACKEND },
    variant: { type: 'string', default: 'both' },
    warmup: { type: 'string', default: '1' },
    iters: { type: 'string', default: '5' },
    'batch-size': { type: 'string', default: '32' },
    'src-len': { type: 'string', default: '20' },
    steps: { type: 'string', default: '30' },
    beam: { type: 'string', default: String(SEARCH_DEFAULTS.beam) },
    vocab: { type: 'string', default: '8000' },
    profile: { type: 'boolean', default: false },
  },
});
const batchSize = Number(flags['batch-size']);
const srcLen = Number(flags['src-len']);
const steps = Number(flags.steps);
const beamSize = Number(flags.beam);
const vocab = Number(flags.vocab);
const warmup = Number(flags.warmup);
const iters = Number(flags.iters);
if (!['both', 'beam', 'greedy'].includes(flags.variant)) {
  process.stderr.write(`bench decode: --variant must be both, beam or greedy\n`);
  process.exit(2);
}

const resolved = await resolveBackend(flags.backend as BackendName);
process.stderr.write(`bench decode: ${resolved.reason}\n`);
const model = new Seq2Seq({ ...REF_SMALL, srcVocab: vocab, tgtVocab: vocab }, { seed: 1 });
const rng = new SeededRandom(1);
const batches = Array.from({ length: iters }, () =>
  Array.from({ length: batchSize }, () => Int32Array.from({ length: srcLen }, () => 4 + rng.int(vocab - 4))),
);

const variants = flags.variant === 'both' ? ['beam', 'greedy'] : [flags.variant];
for (const variant of variants) {
  const beam = variant === 'beam' ? beamSize : 1;
  const decode = (sources: Int32Array[]) => search(model, sources, { beam, fixedSteps: steps });
  for (let i = 0; i < warmup; i++) decode(batches[i % batches.length]);
  if (flags.profile) {
    const info = await tf.profile(() => {
      decode(batches[0]);
      return tf.scalar(0);
    });
    printKernelTotals(`${variant} batch`, info.kernels);
  }
  const tensorsBefore = tf.memory().numTensors;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const sources of batches) {
    const results = decode(sources);
    if (results.some(([best]) => best.tokens.length !== steps)) throw new Error('a hypothesis missed a step');
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const sentences = iters * batchSize;
  printFigure({
    bench: 'decode',
    variant: variant === 'beam' ? `beam${beamSize}` : 'greedy',
    backend: resolved.backend,
    openblas_core: openblasCore(),
    model: 'ref-small',
    beam,
    sentences_per_second: Number((sentences / seconds).toFixed(2)),
    target_tokens_per_second: Math.round((sentences * steps) / seconds),
    ms_per_batch: Math.round((1000 * seconds) / iters),
    // CPU this process used per wall second: well below 1 means other work took the cores (the
    // peer reports the same as own_cores), so the wall-clock figures are not trustworthy.
    own_cores: Number((cpuSeconds / seconds).toFixed(2)),
    sentences_per_cpu_second: Number((sentences / cpuSeconds).toFixed(2)),
    batches: iters,
    batch_size: batchSize,
    src_len: srcLen,
    steps,
    leaked_tensors: tf.memory().numTensors - tensorsBefore,
    peak_rss_mb: peakRssMb(),
    wasm_heap_mb: wasmHeapMb(),
  });
}
model.dispose();
