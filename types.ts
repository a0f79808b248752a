/** Where a sentence pair came from: file and 1-based line, kept through every stage for error messages. */
export interface Origin {
  file: string;
  line: number;
}

/** One aligned sentence pair as read from a corpus. */
export interface SentencePair {
  src: string;
  tgt: string;
  origin: Origin;
}

/** A sentence pair as token ids; each side ends with EOS. */
export interface EncodedPair {
  src: Int32Array;
  tgt: Int32Array;
  origin: Origin;
}

/** A padded training batch, row-major, padded with PAD (0). */
export interface Batch {
  /** Source ids, [size*srcMax]; no BOS, ends with EOS. */
  src: Int32Array;
  /** Real (unpadded) source length of each row, [size]. */
  srcLen: Int32Array;
  srcMax: number;
  /** Decoder input BOS+y, [size*tgtMax]. */
  tgtIn: Int32Array;
  /** Decoder output y+EOS, [size*tgtMax]. */
  tgtOut: Int32Array;
  tgtMax: number;
  /** Number of rows. */
  size: number;
  /** Non-PAD tokens in tgtOut. */
  targetTokens: number;
}

/** Progress and results of the training stage. */
export interface TrainEvent {
  kind: 'step' | 'validation' | 'checkpoint' | 'epoch' | 'done';
  step: number;
  epoch: number;
  loss?: number;
  tokensPerSecond?: number;
  learningRate?: number;
  gradNorm?: number;
  validLoss?: number;
  bleu?: number;
  chrf?: number;
  path?: string;
  /** Why training ended, on 'done'. */
  reason?: 'max-steps' | 'max-epochs' | 'max-minutes' | 'early-stopping' | 'interrupted' | 'complete';
  /** Estimated seconds to the end, when a limit is known. */
  etaSeconds?: number;
  /** Non-PAD target tokens of the step's batch ('step') or of the dev set ('validation'). */
  targetTokens?: number;
  /** On 'validation': true when this is the best score so far (and `best/` was written). */
  improved?: boolean;
  /** On 'checkpoint': which folder was written. */
  checkpoint?: 'last' | 'best' | 'step';
  /** Best validation score so far, in the early-stopping metric ('validation', 'done'). */
  bestScore?: number;
}

/** A translated sentence. */
export interface Translation {
  source: string;
  text: string;
  /** Length-normalised log-probability of `text`. */
  score: number;
  /** Alternatives best first, when n-best > 1 (the first equals text/score). */
  nBest?: { text: string; score: number }[];
  /** Per-token log-probabilities, when asked for. */
  tokenLogProbs?: number[];
  /** Attention weights [tgtLen][srcLen], when asked for. */
  attention?: number[][];
  /** With attention: the source pieces its columns stand for, `</s>` included, [srcLen]. */
  sourcePieces?: string[];
  /** With attention: the output pieces its rows stand for, `</s>` included when decoded, [tgtLen]. */
  targetPieces?: string[];
}

/** Fixed special token ids, shared by the tokenizer and the model. */
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;

/** Copies `ids` into a new array one longer, ending with EOS. */
export function withEos(ids: ArrayLike<number>): Int32Array {
  const out = new Int32Array(ids.length + 1);
  out.set(ids);
  out[ids.length] = EOS_ID;
  return out;
}
