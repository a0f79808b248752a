import type * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import { EOS_ID, PAD_ID } from '../types.js';
import { nativeKernels } from './nativeAddon.js';

/**
 * What decoding needs of a model; `Seq2Seq` satisfies it with its EncoderState/DecoderState.
 * Tests use hand-built models with the same shape.
 */
export interface DecodingModel<E = unknown, D = unknown> {
  /** Encodes padded sources [batch, srcLen] (row-major) with their real lengths [batch]. */
  encode(src: Int32Array, srcLen: ArrayLike<number>): E;
  initialDecoderState(encoder: E): D;
  /** One step for every row: log p(next) [batch, tgtVocab] and attention [batch, srcLen]. */
  decodeStep(
    encoder: E,
    prevTokens: Int32Array,
    state: D,
  ): { logProbs: tf.Tensor2D; newDecoderState: D; attention: tf.Tensor2D };
  selectEncoderRows(state: E, rows: Int32Array): E;
  selectDecoderRows(state: D, rows: Int32Array): D;
  disposeEncoderState(state: E): void;
  disposeDecoderState(state: D): void;
}

/** Options of greedy and beam search; every default matches the PyTorch peer. */
export interface SearchOptions {
  /** Beam size K; 1 is greedy. Default 5. */
  beam?: number;
  /** GNMT length-penalty exponent α in ((5+len)/6)^α; 0 ranks by raw log-probability. Default 0.6. */
  alpha?: number;
  /** Max output tokens before EOS = floor(ratio·srcLen + constant), srcLen without EOS. Default 2. */
  maxLengthRatio?: number;
  /** See maxLengthRatio. Default 10. */
  maxLengthConstant?: number;
  /** EOS is not allowed before this many output tokens. Default 0. */
  minLength?: number;
  /** Hypotheses returned per sentence, best first (at most beam). Default 1. */
  nBest?: number;
  /** Keep the attention weights of every output step. Default false. */
  returnAttention?: boolean;
  /** Keep the log-probability of every output token. Default false. */
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
    beam: options.beam ?? 5,
    alpha: options.alpha ?? 0.6,
    maxLengthRatio: options.maxLengthRatio ?? 2,
    maxLengthConstant: options.maxLengthConstant ?? 10,
    minLength: options.minLength ?? 0,
    nBest: options.nBest ?? 1,
    returnAttention: options.returnAttention ?? false,
    returnTokenLogProbs: options.returnTokenLogProbs ?? false,
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

/** The k best entries of every row of a [rows, cols] block, as topKOfRow gives them per row. */
export interface RowsTopK {
  /** Columns, [rows·k], best first within each row. */
  indices: Int32Array;
  /** Values, [rows·k]. */
  values: Float32Array;
  /** How many of each row's k slots are filled, [rows]. */
  counts: Int32Array;
}

/**
 * `topKOfRow` for every row of `values` [rows, cols] at once; in C when the native addon is
 * built (the JS loop costs ≈3 ms per beam step over 160 × 8000 log-probabilities).
 */
export function topKRows(values: Float32Array, rows: number, cols: number, k: number, skip = -1): RowsTopK {
  const indices = new Int32Array(rows * k);
  const best = new Float32Array(rows * k);
  const counts = new Int32Array(rows);
  const native = nativeKernels();
  if (native) {
    native.topKRows(values, rows, cols, k, skip, indices, best, counts);
    return { indices, values: best, counts };
  }
  for (let row = 0; row < rows; row++) {
    const top = topKOfRow(values, row * cols, cols, k, skip);
    indices.set(top.indices, row * k);
    best.set(top.values, row * k);
    counts[row] = top.count;
  }
  return { indices, values: best, counts };
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
