import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveModelConfig, type ModelConfig } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { padBatch } from '../../operators/bucketBatch.js';
import { SeededRandom } from '../../random.js';
import { EOS_ID, PAD_ID, type Batch, type EncodedPair } from '../../types.js';

/** Config of the stand-in model; only the keys the training code reads matter. */
export interface FakeConfig {
  srcVocab: number;
  tgtVocab: number;
  embedding: number;
  dropout: number;
}

/**
 * A tiny model with the Seq2Seq interface (config, variables, loss, logits, countParameters,
 * dispose), used to test training and checkpoints without the real network: each target position
 * sees its decoder-input embedding plus the mean source embedding, then dropout and a projection.
 */
export class FakeModel {
  readonly config: FakeConfig;
  readonly variables = new Map<string, tf.Variable>();

  constructor(config: FakeConfig, options: { seed?: number } = {}) {
    this.config = config;
    const seed = options.seed ?? 1;
    const init = (name: string, shape: number[], s: number) =>
      this.variables.set(
        name,
        tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', seed + s), true)),
      );
    init('fake/srcEmbedding', [config.srcVocab, config.embedding], 1);
    init('fake/tgtEmbedding', [config.tgtVocab, config.embedding], 2);
    init('fake/output/kernel', [config.embedding, config.tgtVocab], 3);
    this.variables.set(
      'fake/output/bias',
      tf.tidy(() => tf.variable(tf.zeros([config.tgtVocab]), true)),
    );
  }

  /** [batch, tgtMax, tgtVocab] */
  logits(batch: Batch, options: { training?: boolean; seed?: number } = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const v = (name: string) => this.variables.get(name)!;
      const src = tf.tensor2d(batch.src, [batch.size, batch.srcMax], 'int32');
      const srcMask = tf.cast(tf.notEqual(src, PAD_ID), 'float32').expandDims(2);
      const srcEmb = tf
        .gather(v('fake/srcEmbedding'), src)
        .mul(srcMask)
        .sum(1)
        .div(srcMask.sum(1).maximum(1));
      const tgtIn = tf.tensor2d(batch.tgtIn, [batch.size, batch.tgtMax], 'int32');
      let hidden = tf.tanh(tf.gather(v('fake/tgtEmbedding'), tgtIn).add(srcEmb.expandDims(1)));
      if (options.training && this.config.dropout > 0)
        hidden = tf.dropout(hidden, this.config.dropout, undefined, options.seed);
      const flat = hidden
        .reshape([-1, this.config.embedding])
        .matMul(v('fake/output/kernel'))
        .add(v('fake/output/bias'));
      return flat.reshape([batch.size, batch.tgtMax, this.config.tgtVocab]) as tf.Tensor3D;
    });
  }

  /** Mean cross-entropy per non-PAD target token. */
  loss(batch: Batch, options: { training: boolean; seed?: number }): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.logits(batch, options).reshape([-1, this.config.tgtVocab]);
      const target = tf.tensor1d(batch.tgtOut, 'int32');
      const mask = tf.cast(tf.notEqual(target, PAD_ID), 'float32');
      const logProbs = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(target, this.config.tgtVocab)), 1);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    });
  }

  countParameters(): number {
    let total = 0;
    for (const variable of this.variables.values()) total += variable.size;
    return total;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/** Tiny real Seq2Seq config for the tests (fast on the cpu backend). */
export const TINY_SEQ2SEQ: Partial<ModelConfig> = {
  srcVocab: 16,
  tgtVocab: 16,
  embedding: 8,
  encoderUnits: 8,
  decoderUnits: 8,
  attentionalUnits: 8,
  dropout: 0.2,
  labelSmoothing: 0.1,
};

/** The models every training/checkpoint test runs against: the stand-in and the real network. */
export const MODEL_KINDS: { name: string; create: (seed?: number) => FakeModel | Seq2Seq }[] = [
  {
    name: 'FakeModel',
    create: (seed = 1) => new FakeModel({ srcVocab: 16, tgtVocab: 16, embedding: 8, dropout: 0.2 }, { seed }),
  },
  { name: 'Seq2Seq', create: (seed = 1) => new Seq2Seq(resolveModelConfig(TINY_SEQ2SEQ), { seed }) },
];

/**
 * Batches of the synthetic reverse task (target = reversed source), ids in [4, vocab), lengths
 * 3..maxLength; the same seed gives the same batches.
 */
export function reverseBatches(
  count: number,
  seed: number,
  options: { rows?: number; vocab?: number; maxLength?: number } = {},
): Batch[] {
  const random = new SeededRandom(seed);
  const rows = options.rows ?? 4;
  const vocab = options.vocab ?? 16;
  const maxLength = options.maxLength ?? 6;
  const batches: Batch[] = [];
  for (let b = 0; b < count; b++) {
    const pairs: EncodedPair[] = [];
    for (let r = 0; r < rows; r++) {
      const length = 3 + random.int(maxLength - 2);
      const tokens = Array.from({ length }, () => 4 + random.int(vocab - 4));
      pairs.push({
        src: Int32Array.from([...tokens, EOS_ID]),
        tgt: Int32Array.from([...tokens.reverse(), EOS_ID]),
        origin: { file: 'synthetic', line: b * rows + r + 1 },
      });
    }
    batches.push(padBatch(pairs));
  }
  return batches;
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempFolder(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'subflow-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Switches tfjs to the cpu backend once (deterministic and always available). */
export async function useCpuBackend(): Promise<void> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
}
