import * as tf from '@tensorflow/tfjs';
import { BOS_ID, EOS_ID } from '../types.js';
import {
  maxOutputLength,
  padSources,
  resolveSearchOptions,
  toHypothesis,
  topKLogSoftmaxRows,
  type DecodingModel,
  type Hypothesis,
  type HypothesisNode,
  type SearchOptions,
} from './searchInternals.js';

/**
 * Greedy decoding (beam 1) for many sentences at once: each row's argmax, its log-probability and
 * the EOS log-probability come straight from the logits (topKLogSoftmaxRows with k = 1), never as a
 * [rows, vocab] log-probability block. Sentences leave the batch as they finish. Returns
 * exactly what `beamSearch` with beam 1 returns (same tokens, same scores).
 *
 * @param sources token ids of each sentence, ending with EOS, [batch][srcLen]
 * @returns per sentence, one hypothesis
 */
export function greedySearch<E, D>(
  model: DecodingModel<E, D>,
  sources: readonly Int32Array[],
  options: SearchOptions = {},
): Hypothesis[][] {
  const settings = resolveSearchOptions({ ...options, beam: 1, nBest: 1 });
  const results: Hypothesis[][] = sources.map(() => []);
  if (sources.length === 0) return results;
  const padded = padSources(sources);
  const limits = sources.map((source) => maxOutputLength(source, settings));
  const fixed = settings.fixedSteps !== undefined;

  const base = model.encode(padded.ids, padded.lengths);
  let encoder = base;
  let state = model.initialDecoderState(base);
  let rowSentence = Int32Array.from(sources, (_, index) => index);
  let rowNode: (HypothesisNode | undefined)[] = sources.map(() => undefined);
  let prevTokens = new Int32Array(sources.length).fill(BOS_ID);
  try {
    for (let step = 0; rowSentence.length > 0; step++) {
      const out = model.decodeStepLogits(encoder, prevTokens, state);
      model.disposeDecoderState(state);
      state = out.newDecoderState;
      const banEos = fixed || step < settings.minLength;
      const best = topKLogSoftmaxRows(out.logits, 1, banEos ? EOS_ID : -1);
      const attention = settings.returnAttention ? (out.attention.dataSync() as Float32Array) : undefined;
      tf.dispose([out.logits, out.attention]);

      const keep: number[] = [];
      const nextNode: HypothesisNode[] = [];
      for (let row = 0; row < rowSentence.length; row++) {
        const sentence = rowSentence[row];
        const atLimit = !fixed && step >= limits[sentence];
        // A row with no finite log-probability (count 0) can only end.
        const end = atLimit || best.counts[row] === 0;
        const token = end ? EOS_ID : best.indices[row];
        const tokenLogProb = end ? best.eosLogProbs[row] : best.values[row];
        const parent = rowNode[row];
        const node: HypothesisNode = {
          token,
          parent,
          logProb: (parent?.logProb ?? 0) + tokenLogProb,
          length: step + 1,
          tokenLogProb,
          attention: attention?.slice(row * padded.srcMax, row * padded.srcMax + padded.lengths[sentence]),
          finished: token === EOS_ID,
        };
        if (node.finished || (fixed && step + 1 >= settings.fixedSteps!)) {
          results[sentence] = [toHypothesis(node, settings)];
        } else {
          keep.push(row);
          nextNode.push(node);
        }
      }
      if (keep.length === 0) break;
      if (keep.length < rowSentence.length) {
        const rows = Int32Array.from(keep);
        const nextSentence = rows.map((row) => rowSentence[row]);
        const selectedEncoder = model.selectEncoderRows(base, nextSentence);
        if (encoder !== base) model.disposeEncoderState(encoder);
        encoder = selectedEncoder;
        const selectedState = model.selectDecoderRows(state, rows);
        model.disposeDecoderState(state);
        state = selectedState;
        rowSentence = nextSentence;
      }
      rowNode = nextNode;
      prevTokens = Int32Array.from(nextNode, (node) => node.token);
    }
  } finally {
    model.disposeDecoderState(state);
    if (encoder !== base) model.disposeEncoderState(encoder);
    model.disposeEncoderState(base);
  }
  return results;
}
