import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { SubflowError } from '../errors.js';
import { PAD_ID, type Batch } from '../types.js';
import type { BackendName } from './backend.js';
import type { Seq2Seq } from './seq2seq.js';
import type { SharedLayout, WorkerReply, WorkerRequest } from './dataParallelWorker.js';

/** Loss and gradients of one batch, as `tf.variableGrads` gives them. */
export interface BatchGradients {
  /** Mean label-smoothed loss per non-PAD target token of the whole batch. */
  loss: tf.Scalar;
  /** Gradient of `loss` per variable, keyed by tf variable name (for `optimizer.applyGradients`). */
  grads: tf.NamedTensorMap;
}

/** Rows [start, end) of a batch, with the same padded lengths. */
export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  const tgtOut = batch.tgtOut.slice(start * batch.tgtMax, end * batch.tgtMax);
  let targetTokens = 0;
  for (const id of tgtOut) if (id !== PAD_ID) targetTokens++;
  return {
    src: batch.src.slice(start * batch.srcMax, end * batch.srcMax),
    srcLen: batch.srcLen.slice(start, end),
    srcMax: batch.srcMax,
    tgtIn: batch.tgtIn.slice(start * batch.tgtMax, end * batch.tgtMax),
    tgtOut,
    tgtMax: batch.tgtMax,
    size: end - start,
    targetTokens,
  };
}

/** Starts the worker module, through tsx's loader when running from TypeScript sources. */
function startWorker(): Worker {
  const url = new URL(
    `./dataParallelWorker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
    import.meta.url,
  );
  if (url.pathname.endsWith('.ts')) {
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    return new Worker(code, { eval: true });
  }
  return new Worker(url);
}

/**
 * Data-parallel gradients on two cores: the wasm backend runs single-threaded under Node, so a
 * worker thread with a replica of the model computes the gradients of the second half of each
 * batch while the main thread computes the first. Before each step the main thread's weights
 * are copied to the replica through shared memory; the replica's gradients come back the same
 * way and are combined weighted by each half's non-PAD tokens, so the result is the gradient of
 * the whole batch's mean loss (equal to single-thread training up to float rounding; dropout
 * masks differ, being drawn per half).
 */
export class DataParallelGradients {
  private constructor(
    private readonly model: Seq2Seq,
    private readonly worker: Worker,
    private readonly weights: Float32Array,
    private readonly gradients: Float32Array,
    private readonly layout: SharedLayout[],
  ) {}

  /** Starts the worker replica of `model` on `backend` (same config and seed). */
  static async start(
    model: Seq2Seq,
    options: { backend: BackendName; seed: number },
  ): Promise<DataParallelGradients> {
    const layout: SharedLayout[] = [];
    let offset = 0;
    for (const [name, variable] of model.variables) {
      layout.push({ name, offset, shape: variable.shape });
      offset += variable.size;
    }
    const weights = new SharedArrayBuffer(offset * 4);
    const gradients = new SharedArrayBuffer(offset * 4);
    const worker = startWorker();
    const parallel = new DataParallelGradients(
      model,
      worker,
      new Float32Array(weights),
      new Float32Array(gradients),
      layout,
    );
    await parallel.request({ kind: 'init', config: model.config, ...options, weights, gradients, layout });
    return parallel;
  }

  /**
   * Loss and gradients of the batch's mean loss; the caller disposes them (tf.dispose).
   * @param seed dropout seed of this step (the worker's half uses seed + 1)
   */
  async compute(batch: Batch, options: { training: boolean; seed: number }): Promise<BatchGradients> {
    const variables = [...this.model.variables.values()];
    if (batch.size < 2) {
      const { value, grads } = tf.variableGrads(() => this.model.loss(batch, options), variables);
      return { loss: value, grads };
    }
    const middle = Math.ceil(batch.size / 2);
    const own = sliceBatch(batch, 0, middle);
    const theirs = sliceBatch(batch, middle, batch.size);
    this.layout.forEach((entry, i) =>
      this.weights.set(variables[i].dataSync() as Float32Array, entry.offset),
    );
    const reply = this.request({
      kind: 'step',
      batch: theirs,
      seed: options.seed + 1,
      training: options.training,
    });
    const mine = tf.variableGrads(() => this.model.loss(own, options), variables);
    const theirLoss = ((await reply) as { loss: number }).loss;
    const total = Math.max(own.targetTokens + theirs.targetTokens, 1);
    const ownShare = own.targetTokens / total;
    const theirShare = theirs.targetTokens / total;
    return tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      this.layout.forEach((entry, i) => {
        const size = entry.shape.reduce((a, b) => a * b, 1);
        const other = tf.tensor(this.gradients.subarray(entry.offset, entry.offset + size), entry.shape);
        const name = variables[i].name;
        grads[name] = tf.add(tf.mul(mine.grads[name], ownShare), tf.mul(other, theirShare));
      });
      const loss = tf.add(tf.mul(mine.value, ownShare), theirLoss * theirShare) as tf.Scalar;
      tf.dispose([mine.value, ...Object.values(mine.grads)]);
      return { loss, grads };
    });
  }

  /** Stops the worker. */
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }

  private request(message: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        this.worker.off('error', onError);
        if (reply.kind === 'error') {
          reject(new SubflowError('BACKEND_UNAVAILABLE', `data-parallel worker failed: ${reply.message}`));
        } else resolve(reply);
      };
      const onError = (error: Error): void => {
        this.worker.off('message', onMessage);
        reject(error);
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', onError);
      this.worker.postMessage(message);
    });
  }
}
