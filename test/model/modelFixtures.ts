import * as tf from '@tensorflow/tfjs';
import { resolveBackend } from '../../model/backend.js';
import { resolveModelConfig, type ModelConfig } from '../../model/config.js';
import { Seq2Seq, type DecodeStepResult } from '../../model/seq2seq.js';
import { BOS_ID, EOS_ID, PAD_ID, type Batch } from '../../types.js';

/** Token-id pair without specials. */
export interface IdPairLike {
  src: readonly number[];
  tgt: readonly number[];
}

/** Pads pairs into a Batch as the data stage does: source ends with EOS, tgtIn = BOS+y, tgtOut = y+EOS. */
export function makeBatch(pairs: readonly IdPairLike[], minSrcMax = 0, minTgtMax = 0): Batch {
  const srcMax = Math.max(minSrcMax, ...pairs.map((p) => p.src.length + 1));
  const tgtMax = Math.max(minTgtMax, ...pairs.map((p) => p.tgt.length + 1));
  const size = pairs.length;
  const src = new Int32Array(size * srcMax).fill(PAD_ID);
  const srcLen = new Int32Array(size);
  const tgtIn = new Int32Array(size * tgtMax).fill(PAD_ID);
  const tgtOut = new Int32Array(size * tgtMax).fill(PAD_ID);
  let targetTokens = 0;
  pairs.forEach((pair, row) => {
    src.set([...pair.src, EOS_ID], row * srcMax);
    srcLen[row] = pair.src.length + 1;
    tgtIn.set([BOS_ID, ...pair.tgt], row * tgtMax);
    tgtOut.set([...pair.tgt, EOS_ID], row * tgtMax);
    targetTokens += pair.tgt.length + 1;
  });
  return { src, srcLen, srcMax, tgtIn, tgtOut, tgtMax, size, targetTokens };
}

/** A tiny model for fast tests (dropout off unless given). */
export function tinyModel(overrides: Partial<ModelConfig> = {}, seed = 7): Seq2Seq {
  const config = resolveModelConfig({
    srcVocab: 12,
    tgtVocab: 11,
    embedding: 5,
    encoderUnits: 4,
    decoderUnits: 6,
    attentionalUnits: 5,
    dropout: 0,
    ...overrides,
  });
  return new Seq2Seq(config, { seed });
}

/** A few pairs of different lengths over ids 4..9. */
export function tinyPairs(): IdPairLike[] {
  return [
    { src: [4, 5, 6, 7], tgt: [8, 9, 4] },
    { src: [9, 8], tgt: [5, 6, 7, 8] },
    { src: [6, 6, 5], tgt: [4] },
  ];
}

/** Activates the wasm backend (the default local one) for a spec. */
export async function useWasm(): Promise<void> {
  await resolveBackend('wasm');
}

/** Activates a backend by tfjs name and returns the previous one. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<string> {
  const previous = tf.getBackend();
  await resolveBackend(name);
  return previous;
}

/**
 * Feeds a batch's teacher-forced target inputs to `model.decodeStep` one step at a time (the first
 * `steps`, default all of them) and hands each step's result to `visit` before freeing it.
 */
export function forEachDecodeStep(
  model: Seq2Seq,
  batch: Batch,
  visit: (t: number, result: DecodeStepResult) => void,
  steps = batch.tgtMax,
): void {
  const encoder = model.encode(batch.src, batch.srcLen);
  let state = model.initialDecoderState(encoder);
  for (let t = 0; t < steps; t++) {
    const previous = Int32Array.from({ length: batch.size }, (_, row) => batch.tgtIn[row * batch.tgtMax + t]);
    const result = model.decodeStep(encoder, previous, state);
    visit(t, result);
    model.disposeDecoderState(state);
    tf.dispose([result.logProbs, result.attention]);
    state = result.newDecoderState;
  }
  model.disposeDecoderState(state);
  model.disposeEncoderState(encoder);
}
