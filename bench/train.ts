// Training speed of ref-small on synthetic batches (64 sentences, source and target length 20,
// vocabularies 8000), counted like the PyTorch peer's bench-train: a step is forward, loss,
// backward, global-norm clip 5 and Adam (lr 1e-3), run by the train stage's own Trainer (which
// reads the loss back every step, as training does); tokens/s = steps · 64 · 20 / seconds.
// Flags: --backend NAME (default auto), --warmup N (3), --iters N (20), --batch-size, --src-len,
// --tgt-len, --vocab, --profile (per-kernel
// totals of one step on stderr).
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_BACKEND, resolveBackend, type BackendName } from '../model/backend.js';
import { REF_SMALL } from '../model/config.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { Trainer } from '../model/trainer.js';
import { SeededRandom } from '../random.js';
import { BOS_ID, EOS_ID, type Batch } from '../types.js';
import { openblasCore, peakRssMb, printFigure, printKernelTotals, wasmHeapMb } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: DEFAULT_BACKEND },
    warmup: { type: 'string', default: '3' },
    iters: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '64' },
    'src-len': { type: 'string', default: '20' },
    'tgt-len': { type: 'string', default: '20' },
    vocab: { type: 'string', default: '8000' },
    profile: { type: 'boolean', default: false },
  },
});
const batchSize = Number(flags['batch-size']);
const srcLen = Number(flags['src-len']);
const tgtLen = Number(flags['tgt-len']);
const vocab = Number(flags.vocab);

/** A full (unpadded) batch of random ids ≥ 4; tgtLen counts EOS, as the peer's. */
function syntheticBatch(rng: SeededRandom): Batch {
  const src = new Int32Array(batchSize * srcLen).map(() => 4 + rng.int(vocab - 4));
  const tgtOut = new Int32Array(batchSize * tgtLen);
  const tgtIn = new Int32Array(batchSize * tgtLen);
  for (let row = 0; row < batchSize; row++) {
    for (let t = 0; t < tgtLen; t++)
      tgtOut[row * tgtLen + t] = t === tgtLen - 1 ? EOS_ID : 4 + rng.int(vocab - 4);
    tgtIn[row * tgtLen] = BOS_ID;
    for (let t = 1; t < tgtLen; t++) tgtIn[row * tgtLen + t] = tgtOut[row * tgtLen + t - 1];
  }
  return {
    src,
    srcLen: new Int32Array(batchSize).fill(srcLen),
    srcMax: srcLen,
    tgtIn,
    tgtOut,
    tgtMax: tgtLen,
    size: batchSize,
    targetTokens: batchSize * tgtLen,
  };
}

const resolved = await resolveBackend(flags.backend as BackendName);
process.stderr.write(`bench train: ${resolved.reason}\n`);
const model = new Seq2Seq({ ...REF_SMALL, srcVocab: vocab, tgtVocab: vocab }, { seed: 1 });
// The train stage's own Trainer: dropout, loss, backward, global-norm clip 5, Adam 1e-3.
const trainer = new Trainer(model); // TRAINING_DEFAULTS: ref-small's Adam settings;
const rng = new SeededRandom(1);
const batches = Array.from({ length: 4 }, () => syntheticBatch(rng));

/** One training step; returns the loss. */
async function trainStep(batch: Batch): Promise<number> {
  return Promise.resolve(trainer.step(batch).loss);
}

const warmup = Number(flags.warmup);
const iters = Number(flags.iters);
for (let i = 0; i < warmup; i++) await trainStep(batches[i % batches.length]);
if (flags.profile) {
  const info = await tf.profile(async () => {
    await trainStep(batches[0]);
    return tf.scalar(0);
  });
  printKernelTotals('training step', info.kernels);
  process.stderr.write(`peak tensor memory in the step: ${Math.round(info.peakBytes / 2 ** 20)} MB\n`);
}
/** Busy CPU seconds of the whole machine so far, from /proc/stat (all but idle and iowait). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return (total - fields[3] - fields[4]) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

const busyBefore = machineBusySeconds();
const cpuBefore = process.cpuUsage();
const started = performance.now();
let finalLoss = NaN;
for (let i = 0; i < iters; i++) finalLoss = await trainStep(batches[i % batches.length]);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const ownCores = (cpu.user + cpu.system) / 1e6 / seconds;
const foreignCores = (machineBusySeconds() - busyBefore) / seconds - ownCores;
printFigure({
  bench: 'train',
  backend: resolved.backend,
  openblas_core: openblasCore(),
  model: 'ref-small',
  parameters: model.countParameters(),
  tokens_per_second: Math.round((iters * batchSize * tgtLen) / seconds),
  ms_per_step: Math.round((1000 * seconds) / iters),
  steps: iters,
  batch_size: batchSize,
  src_len: srcLen,
  tgt_len: tgtLen,
  final_loss: Number(finalLoss.toFixed(4)),
  peak_rss_mb: peakRssMb(),
  wasm_heap_mb: wasmHeapMb(),
  // CPU used by this process and by everything else during the timed steps, as the peer reports.
  own_cores: Number(ownCores.toFixed(2)),
  foreign_cores: Number(foreignCores.toFixed(2)),
});
