// Worker side of `dataParallel.ts`: holds a replica of the model, and for each step copies the
// main thread's weights in, computes the gradients of its share of the batch and writes them to
// shared memory.
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { resolveBackend, type BackendName } from './backend.js';
import type { ModelConfig } from './config.js';
import { Seq2Seq } from './seq2seq.js';
import type { Batch } from '../types.js';

/** Where each variable lives in the shared weight and gradient buffers (float32 offsets). */
export interface SharedLayout {
  name: string;
  offset: number;
  shape: number[];
}

/** Messages the main thread sends. */
export type WorkerRequest =
  | {
      kind: 'init';
      config: ModelConfig;
      seed: number;
      backend: BackendName;
      weights: SharedArrayBuffer;
      gradients: SharedArrayBuffer;
      layout: SharedLayout[];
    }
  | { kind: 'step'; batch: Batch; seed: number; training: boolean };

/** Messages the worker answers with. */
export type WorkerReply =
  { kind: 'ready' } | { kind: 'step'; loss: number } | { kind: 'error'; message: string };

let model: Seq2Seq | undefined;
let weights: Float32Array | undefined;
let gradients: Float32Array | undefined;
let layout: SharedLayout[] = [];

function step(batch: Batch, seed: number, training: boolean): number {
  if (!model || !weights || !gradients) throw new Error('data-parallel worker used before init');
  const variables = layout.map((entry) => model!.variables.get(entry.name)!);
  layout.forEach((entry, i) => {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    variables[i].assign(tf.tensor(weights!.subarray(entry.offset, entry.offset + size), entry.shape));
  });
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => model!.loss(batch, { training, seed }), variables);
    layout.forEach((entry, i) => gradients!.set(grads[variables[i].name].dataSync(), entry.offset));
    return value.dataSync()[0];
  });
}

parentPort?.on('message', (request: WorkerRequest) => {
  void (async () => {
    try {
      if (request.kind === 'init') {
        await resolveBackend(request.backend);
        model = new Seq2Seq(request.config, { seed: request.seed });
        weights = new Float32Array(request.weights);
        gradients = new Float32Array(request.gradients);
        layout = request.layout;
        parentPort!.postMessage({ kind: 'ready' } satisfies WorkerReply);
      } else {
        const loss = step(request.batch, request.seed, request.training);
        parentPort!.postMessage({ kind: 'step', loss } satisfies WorkerReply);
      }
    } catch (error) {
      parentPort!.postMessage({
        kind: 'error',
        message: String((error as Error)?.stack ?? error),
      } satisfies WorkerReply);
    }
  })();
});
