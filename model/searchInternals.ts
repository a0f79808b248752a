import type * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import { EOS_ID, PAD_ID } from '../types.js';
import { hostFloats } from './kernels/kernelIo.js';
import { nativeKernels } from './kernels/nativeAddon.js';

/**
 * What decoding needs of a model; `Seq2Seq` satisfies it with its EncoderState/DecoderState.
 * Tests use hand-built models with the same shape.
 */
export interface DecodingModel<E = unknown, D = unknown> {
  /** Encodes padded sources [batch, srcLen] (row-major) with their real lengths [batch]. */
  encode(src: Int32Array, srcLen: ArrayLike<number>): E;
  initialDecoderState(encoder: E): D;
  /**
   * One step for every row: next-token logits [batch, tgtVocab] (their row-wise log-softmax is
   * log p(next); log-probabilities themselves are valid logits) and attention [batch, srcLen].
   * With `stateRows`, row r continues the state's row stateRows[r], as if the state had been
   * `selectDecoderRows(state, stateRows)` (beam search passes its reordering here, so a model can
   * read the rows in place); with `encoderRows`, row r attends to the encoder's row
   * encoderRows[r], as if `selectEncoderRows(encoder, encoderRows)`.
   */
  decodeStepLogits(
    encoder: E,
    prevTokens: Int32Array,
    state: D,
    stateRows?: Int32Array,
    encoderRows?: Int32Array,
  ): { logits: tf.Tensor2D; newDecoderState: D; attention: tf.Tensor2D };
  /**
   * True when decodeStepLogits reads `encoderRows` without gathering them (optional): beam search
   * then passes every row's sentence instead of selecting encoder rows for its beams.
   */
  stepReadsEncoderRows?(): boolean;
  selectEncoderRows(state: E, rows: Int32Array): E;
  selectDecoderRows(state: D, rows: Int32Array): D;
  disposeEncoderState(state: E): void;
  disposeDecoderState(state: D): void;
}

/**
 * Defaults of the search options, those of the PyTorch peer (`ref-small` decoding) except minLength.
 * Flags, config schemas and help texts read them from here.
 */
export const SEARCH_DEFAULTS = Object.freeze({
  beam: 5,
  alpha: 0.6,
  maxLengthRatio: 2,
  maxLengthConstant: 10,
  minLength: 1,
  nBest: 1,
  returnAttention: false,
  returnTokenLogProbs: false,
});

/** Options of greedy and beam search; defaults in {@link SEARCH_DEFAULTS}. */
export interface SearchOptions {
  /** Beam size K; 1 is greedy. */
  beam?: number;
  /** GNMT length-penalty exponent α in ((5+len)/6)^α; 0 ranks by raw log-probability. */
  alpha?: number;
  /** Max output tokens before EOS = floor(ratio·srcLen + constant), srcLen without EOS. */
  maxLengthRatio?: number;
  /** See maxLengthRatio. */
  maxLengthConstant?: number;
  /**
   * EOS is not allowed before this many output tokens. Default 1: a source always gets a translation
   * (a model may rank "nothing" first for a short line such as `hola`; the peer, which never decodes
   * subtitles, has no minimum).
   */
  minLength?: number;
  /** Hypotheses returned per sentence, best first (at most beam). */
  nBest?: number;
  /** Keep the attention weights of every output step. */
  returnAttention?: boolean;
  /** Keep the log-probability of every output token. */
  returnTokenLogProbs?: boolean;
  /**
   * Benchmark mode: run exactly this many steps with EOS disallowed and no early stop, so the work
   * does not depend on the weights. Overrides the length limits.
   */
  fixedSteps?: number;
}

/** One finished (or length-capped) output of the search. */
export interface Hypothesis {
  /** Output ids without BOS or EOS. */
  tokens: Int32Array;
  /** logProb / ((5+len)/6)^α with len counting EOS: the ranking score. */
  score: number;
  /** Sum of the token log-probabilities, EOS included. */
  logProb: number;
  /** True when the hypothesis ended with EOS (false only in fixedSteps mode). */
  finished: boolean;
  /** log p of each output token, EOS included when finished, [len]; with returnTokenLogProbs. */
  tokenLogProbs?: Float32Array;
  /** Attention of each output step over the real source positions (EOS included), [len][srcLen]. */
  attention?: Float32Array[];
}

/** Options with every default filled in. */
export type ResolvedSearchOptions = Required<Omit<SearchOptions, 'fixedSteps'>> & { fixedSteps?: number };

/** Fills defaults and refuses impossible values (BAD_ARGUMENT naming the option). */
export function resolveSearchOptions(options: SearchOptions = {}): ResolvedSearchOptions {
  const resolved = {
    beam: options.beam ?? SEARCH_DEFAULTS.beam,
    alpha: options.alpha ?? SEARCH_DEFAULTS.alpha,
    maxLengthRatio: options.maxLengthRatio ?? SEARCH_DEFAULTS.maxLengthRatio,
    maxLengthConstant: options.maxLengthConstant ?? SEARCH_DEFAULTS.maxLengthConstant,
    minLength: options.minLength ?? SEARCH_DEFAULTS.minLength,
    nBest: options.nBest ?? SEARCH_DEFAULTS.nBest,
    returnAttention: options.returnAttention ?? SEARCH_DEFAULTS.returnAttention,
    returnTokenLogProbs: options.returnTokenLogProbs ?? SEARCH_DEFAULTS.returnTokenLogProbs,
    fixedSteps: options.fixedSteps,
  };
  const integer = (key: keyof SearchOptions, min: number) => {
    const value = resolved[key] as number | undefined;
    if (value !== undefined && (!Number.isInteger(value) || value < min))
      throw badOption(key, `must be an integer ≥ ${min}, got ${value}`);
  };
  integer('beam', 1);
  integer('nBest', 1);
  integer('minLength', 0);
  integer('fixedSteps', 1);
  for (const key of ['alpha', 'maxLengthRatio', 'maxLengthConstant'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0)
      throw badOption(key, `must be a number ≥ 0, got ${resolved[key]}`);
  }
  if (resolved.nBest > resolved.beam)
    throw badOption('nBest', `${resolved.nBest} is larger than the beam ${resolved.beam}`);
  return resolved;
}

function badOption(key: string, message: string): SubflowError {
  return new SubflowError('BAD_ARGUMENT', `search option ${key} ${message}`, {
    key,
    hint: 'beam ≥ 1, 1 ≤ nBest ≤ beam, alpha/maxLengthRatio/maxLengthConstant ≥ 0',
  });
}

/** GNMT length penalty ((5 + length) / 6)^α (Wu et al. 2016, §7). */
export function lengthPenalty(length: number, alpha: number): number {
  return alpha === 0 ? 1 : Math.pow((5 + length) / 6, alpha);
}

/** Real source length of an id row: without its trailing EOS, as the peer counts it. */
export function sourceLength(source: Int32Array): number {
  return source.length > 0 && source[source.length - 1] === EOS_ID ? source.length - 1 : source.length;
}

/** Output tokens allowed before EOS is forced: floor(ratio·srcLen + constant). */
export function maxOutputLength(source: Int32Array, options: ResolvedSearchOptions): number {
  return Math.floor(options.maxLengthRatio * sourceLength(source) + options.maxLengthConstant);
}

/** Sources padded with PAD into one row-major block. */
export interface PaddedSources {
  /** [batch*srcMax] */
  ids: Int32Array;
  /** [batch] */
  lengths: Int32Array;
  srcMax: number;
}

/** Pads id rows (each normally ending with EOS) into [batch, srcMax]. */
export function padSources(sources: readonly Int32Array[]): PaddedSources {
  const srcMax = Math.max(1, ...sources.map((s) => s.length));
  const ids = new Int32Array(sources.length * srcMax).fill(PAD_ID);
  const lengths = new Int32Array(sources.length);
  sources.forEach((source, row) => {
    if (source.length === 0)
      throw new SubflowError('BAD_ARGUMENT', `source ${row} has no tokens`, {
        hint: 'every source must end with EOS; translate empty lines without the model',
      });
    ids.set(source, row * srcMax);
    lengths[row] = source.length;
  });
  return { ids, lengths, srcMax };
}

/**
 * Indices of the k largest finite values of `values[offset … offset+length)`, best first, by
 * insertion into a k-long list: O(length) when k is small, no sort of the whole row. Ties keep the
 * lower index (as argMax does). `skip` is an index (relative to offset) never chosen, or -1.
 */
export function topKOfRow(
  values: Float32Array,
  offset: number,
  length: number,
  k: number,
  skip = -1,
): { indices: Int32Array; values: Float32Array; count: number } {
  const bestIdx = new Int32Array(k);
  const bestVal = new Float32Array(k).fill(-Infinity);
  let count = 0;
  for (let i = 0; i < length; i++) {
    const value = values[offset + i];
    if (!(value > bestVal[k - 1]) || i === skip) continue; // also rejects NaN and -Infinity
    let at = count < k ? count : k - 1;
    while (at > 0 && value > bestVal[at - 1]) {
      bestVal[at] = bestVal[at - 1];
      bestIdx[at] = bestIdx[at - 1];
      at--;
    }
    bestVal[at] = value;
    bestIdx[at] = i;
    if (count < k) count++;
  }
  return { indices: bestIdx, values: bestVal, count };
}

/** Per row of a decoder step: the k most likely next tokens and the EOS log-probability. */
export interface StepTopK {
  /** Token ids, [rows·k], best first within each row. */
  indices: Int32Array;
  /** Their log-probabilities, [rows·k]. */
  values: Float32Array;
  /** How many of each row's k slots are filled, [rows]: 0 when the row has no usable distribution. */
  counts: Int32Array;
  /** log p(EOS) of each row, [rows]. */
  eosLogProbs: Float32Array;
}

/**
 * The k most likely tokens of every row of a decoder step's logits [rows, vocab] (token `skip`
 * excluded, −1 for none) with their log-probabilities, and each row's log p(EOS). The top k of a
 * row's logits are the top k of its log-softmax, so only logsumexp is needed per row: no
 * [rows, vocab] log-probability tensor is written or copied to the host. On wasm and cpu the
 * logits are read in place (in C when the native addon is built); elsewhere they are read once.
 * A row whose log-softmax is not finite (NaN or ±∞ logits) gets count 0.
 */
export function topKLogSoftmaxRows(logits: tf.Tensor2D, k: number, skip = -1): StepTopK {
  const [rows, cols] = logits.shape;
  const values = hostFloats(logits);
  const out: StepTopK = {
    indices: new Int32Array(rows * k),
    values: new Float32Array(rows * k),
    counts: new Int32Array(rows),
    eosLogProbs: new Float32Array(rows),
  };
  const native = nativeKernels();
  if (native) {
    native.topKLogSoftmax(
      values,
      rows,
      cols,
      k,
      skip,
      EOS_ID,
      out.indices,
      out.values,
      out.counts,
      out.eosLogProbs,
    );
    return out;
  }
  for (let row = 0; row < rows; row++) {
    const offset = row * cols;
    let max = -Infinity;
    for (let i = 0; i < cols; i++) if (values[offset + i] > max) max = values[offset + i];
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += Math.exp(values[offset + i] - max);
    const shift = max + Math.log(sum);
    const top = topKOfRow(values, offset, cols, k, skip);
    const count = Number.isFinite(shift) ? top.count : 0;
    for (let j = 0; j < k; j++) {
      out.indices[row * k + j] = top.indices[j];
      out.values[row * k + j] = j < count ? top.values[j] - shift : -Infinity;
    }
    out.counts[row] = count;
    out.eosLogProbs[row] = values[offset + EOS_ID] - shift;
  }
  return out;
}

/** A node of the hypothesis tree: each live or finished hypothesis points at its parent. */
export interface HypothesisNode {
  token: number;
  parent: HypothesisNode | undefined;
  /** Sum of log-probabilities up to and including this token. */
  logProb: number;
  /** Tokens so far, EOS included. */
  length: number;
  tokenLogProb: number;
  attention?: Float32Array;
  finished: boolean;
}

/** Walks a node back to the root and builds the returned hypothesis. */
export function toHypothesis(node: HypothesisNode, options: ResolvedSearchOptions): Hypothesis {
  const path: HypothesisNode[] = [];
  for (let at: HypothesisNode | undefined = node; at; at = at.parent) path.push(at);
  path.reverse();
  const outputs = node.finished ? path.slice(0, -1) : path;
  const hypothesis: Hypothesis = {
    tokens: Int32Array.from(outputs, (n) => n.token),
    score: node.logProb / lengthPenalty(node.length, options.alpha),
    logProb: node.logProb,
    finished: node.finished,
  };
  if (options.returnTokenLogProbs) hypothesis.tokenLogProbs = Float32Array.from(path, (n) => n.tokenLogProb);
  if (options.returnAttention) hypothesis.attention = path.map((n) => n.attention ?? new Float32Array(0));
  return hypothesis;
}

/** Rows [newBatch] that repeat or pick rows of a batch, as the select*Rows methods take them. */
export function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when rows is 0, 1, …, n−1 of an n-row batch (no reordering needed). */
export function isIdentity(rows: Int32Array, n: number): boolean {
  if (rows.length !== n) return false;
  for (let i = 0; i < n; i++) if (rows[i] !== i) return false;
  return true;
}
