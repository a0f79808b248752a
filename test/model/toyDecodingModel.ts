import * as tf from '@tensorflow/tfjs';
import type { DecodingModel } from '../../model/searchInternals.js';

/** Encoder state of the toy: the source mask, [batch, srcLen]. */
export interface ToyEncoder {
  mask: tf.Tensor2D;
}

/** Decoder state of the toy: a step counter per row, [batch] (only there to be selected and disposed). */
export interface ToyDecoder {
  steps: tf.Tensor1D;
}

/**
 * A hand-built decoding model: a first-order Markov chain over target tokens, log p(next | previous)
 * read from a [vocab, vocab] table of probabilities given row by row (unlisted tokens share a tiny
 * remainder). Attention is uniform over the real source positions. Counts its calls so tests can
 * check batching.
 */
export class ToyDecodingModel implements DecodingModel<ToyEncoder, ToyDecoder> {
  readonly table: tf.Tensor2D;
  decodeSteps = 0;
  rowsDecoded = 0;

  constructor(
    readonly vocab: number,
    transitions: Record<number, Record<number, number>>,
  ) {
    const values = new Float32Array(vocab * vocab);
    for (let from = 0; from < vocab; from++) {
      const listed = transitions[from] ?? {};
      const mass = Object.values(listed).reduce((a, b) => a + b, 0);
      const others = vocab - Object.keys(listed).length;
      for (let to = 0; to < vocab; to++) {
        const p = listed[to] ?? Math.max(1e-9, (1 - mass) / Math.max(others, 1));
        values[from * vocab + to] = Math.log(p);
      }
    }
    this.table = tf.tensor2d(values, [vocab, vocab]);
  }

  encode(src: Int32Array, srcLen: ArrayLike<number>): ToyEncoder {
    const batch = srcLen.length;
    const srcMax = src.length / batch;
    const mask = new Float32Array(src.length);
    for (let row = 0; row < batch; row++) mask.fill(1, row * srcMax, row * srcMax + srcLen[row]);
    return { mask: tf.tensor2d(mask, [batch, srcMax]) };
  }

  initialDecoderState(encoder: ToyEncoder): ToyDecoder {
    return { steps: tf.zeros([encoder.mask.shape[0]]) as tf.Tensor1D };
  }

  decodeStepLogits(encoder: ToyEncoder, prevTokens: Int32Array, state: ToyDecoder, stateRows?: Int32Array) {
    this.decodeSteps += 1;
    this.rowsDecoded += prevTokens.length;
    return tf.tidy(() => {
      const steps = stateRows ? tf.gather(state.steps, tf.tensor1d(stateRows, 'int32')) : state.steps;
      return {
        logits: tf.gather(this.table, tf.tensor1d(prevTokens, 'int32')) as tf.Tensor2D,
        newDecoderState: { steps: tf.add(steps, 1) as tf.Tensor1D },
        attention: tf.div(encoder.mask, tf.sum(encoder.mask, 1, true)) as tf.Tensor2D,
      };
    });
  }

  selectEncoderRows(state: ToyEncoder, rows: Int32Array): ToyEncoder {
    return { mask: tf.tidy(() => tf.gather(state.mask, tf.tensor1d(rows, 'int32'))) };
  }

  selectDecoderRows(state: ToyDecoder, rows: Int32Array): ToyDecoder {
    return { steps: tf.tidy(() => tf.gather(state.steps, tf.tensor1d(rows, 'int32'))) };
  }

  disposeEncoderState(state: ToyEncoder): void {
    state.mask.dispose();
  }

  disposeDecoderState(state: ToyDecoder): void {
    state.steps.dispose();
  }

  dispose(): void {
    this.table.dispose();
  }
}
