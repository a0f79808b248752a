import type { ModelConfig } from '../model/config.js';

// Floating-point operations of ref-small (one-layer Luong-general model), counted analytically
// from its matrix products: a product of [m, k] by [k, n] is 2·m·n·k operations (one multiply and
// one add per term). Element-wise work (gates, softmax, loss, Adam) is left out: it grows with
// m·n, not m·n·k, and is a few percent of the total at these sizes, so the counts are a slight
// undercount, the same for subflow and the peer, which run the same model.

/** Sizes of ref-small that the counts need. */
type Sizes = Pick<
  ModelConfig,
  'embedding' | 'encoderUnits' | 'decoderUnits' | 'attentionalUnits' | 'tgtVocab'
>;

const gemm = (m: number, n: number, k: number): number => 2 * m * n * k;

/** Forward products of the encoder and bridge for `batch` sentences of `srcLen` tokens. */
function encoderFlops(c: Sizes, batch: number, srcLen: number): number {
  const tokens = batch * srcLen;
  const gates = 4 * c.encoderUnits;
  const inputProjections = 2 * gemm(tokens, gates, c.embedding); // x·W, both directions
  const recurrence = 2 * srcLen * gemm(batch, gates, c.encoderUnits); // h·U per step, both directions
  const bridge = 2 * gemm(batch, c.decoderUnits, 2 * c.encoderUnits); // h₀ and c₀
  const keys = gemm(tokens, c.decoderUnits, 2 * c.encoderUnits); // W_a·h_s, once per source
  return inputProjections + recurrence + bridge + keys;
}

/** Forward products of one decoder step for `rows` rows (teacher-forced or search). */
function decoderStepFlops(c: Sizes, rows: number, srcLen: number): number {
  const gates = 4 * c.decoderUnits;
  const lstm = gemm(rows, gates, c.embedding) + gemm(rows, gates, c.decoderUnits);
  const attention = gemm(rows, srcLen, c.decoderUnits) + gemm(rows, 2 * c.encoderUnits, srcLen); // scores, context
  const combine = gemm(rows, c.attentionalUnits, 2 * c.encoderUnits + c.decoderUnits); // h̃ = tanh(W_c [c; h])
  const output = gemm(rows, c.tgtVocab, c.attentionalUnits); // logits
  return lstm + attention + combine + output;
}

/**
 * Operations of one training step (forward, backward, update) on `batch` pairs: the backward pass
 * of a product C = A·B takes two products of the same size (dA = dC·Bᵀ and dB = Aᵀ·dC), so a step
 * is 3× the forward products. (The embeddings' gradients are gathers, not products; the first
 * layer's dA is still a product, the gradient flowing into the embedding rows.)
 */
export function trainStepFlops(c: Sizes, batch: number, srcLen: number, tgtLen: number): number {
  const forward = encoderFlops(c, batch, srcLen) + tgtLen * decoderStepFlops(c, batch, srcLen);
  return 3 * forward;
}

/**
 * Operations of decoding `batch` sentences of `srcLen` tokens for `steps` steps with `beam`
 * hypotheses per sentence: the encoder once per sentence, then every step on batch·beam rows
 * (as if the beam were full from the first step, so a slight overcount for beam > 1).
 */
export function decodeBatchFlops(
  c: Sizes,
  batch: number,
  srcLen: number,
  steps: number,
  beam: number,
): number {
  return encoderFlops(c, batch, srcLen) + steps * decoderStepFlops(c, batch * beam, srcLen);
}
