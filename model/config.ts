import { SubflowError } from '../errors.js';

/** Attention score functions. */
export const ATTENTION_KINDS = ['luong-general', 'bahdanau'] as const;

/** One of {@link ATTENTION_KINDS}. */
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** Every size and switch of the seq2seq network; defaults (`REF_SMALL`) match `../shared/peers/`. */
export interface ModelConfig {
  /** Source vocabulary size including the 4 specials. Default 8000. */
  srcVocab: number;
  /** Target vocabulary size including the 4 specials. Default 8000. */
  tgtVocab: number;
  /** Width of the source and of the target embeddings. Default 256. */
  embedding: number;
  /** LSTM units per direction of the bidirectional encoder (its outputs are 2× this). Default 256. */
  encoderUnits: number;
  /** LSTM units of the decoder; also the width of the attention keys. Default 512. */
  decoderUnits: number;
  /** Width of the attentional vector h̃ = tanh(W_c [c; h]) fed to the output layer. Default 512. */
  attentionalUnits: number;
  /** Score function: Luong "general" hᵀW_a s, or Bahdanau (additive) vᵀtanh(W_q h + W_k s). */
  attention: AttentionKind;
  /** Stacked bidirectional encoder layers. Default 1. */
  encoderLayers: number;
  /** Stacked decoder layers. Default 1. */
  decoderLayers: number;
  /** Feed h̃ₜ₋₁ into the decoder input at step t (Luong §3.3); makes training run attention per step. */
  inputFeeding: boolean;
  /** Dropout rate on both embeddings and on h̃, in [0, 1). Default 0.2. */
  dropout: number;
  /** Label smoothing ε of the cross-entropy, in [0, 1). Default 0.1. */
  labelSmoothing: number;
}

/** The reference model `ref-small` (12,137,280 parameters at vocab 8000/8000). */
export const REF_SMALL: Readonly<ModelConfig> = Object.freeze({
  srcVocab: 8000,
  tgtVocab: 8000,
  embedding: 256,
  encoderUnits: 256,
  decoderUnits: 512,
  attentionalUnits: 512,
  attention: 'luong-general',
  encoderLayers: 1,
  decoderLayers: 1,
  inputFeeding: false,
  dropout: 0.2,
  labelSmoothing: 0.1,
});

const INTEGER_KEYS = [
  'srcVocab',
  'tgtVocab',
  'embedding',
  'encoderUnits',
  'decoderUnits',
  'attentionalUnits',
  'encoderLayers',
  'decoderLayers',
] as const;

const RATE_KEYS = ['dropout', 'labelSmoothing'] as const;

/** The keys that decide what a model's weights mean: all but the training-only rates (RATE_KEYS). */
export const ARCHITECTURE_KEYS = [...INTEGER_KEYS, 'attention', 'inputFeeding'] as const;

/** Smallest vocabulary: the 4 specials plus one real token. */
const MIN_VOCAB = 5;

function invalid(key: string, message: string, hint: string): SubflowError {
  return new SubflowError('CONFIG_INVALID', `model.${key}: ${message}`, { key: `model.${key}`, hint });
}

/**
 * Fills missing keys from `REF_SMALL` and checks every value; throws `SubflowError('CONFIG_INVALID')`
 * naming the key, the bad value and the accepted range. Unknown keys are rejected (likely typos).
 */
export function resolveModelConfig(partial: Partial<ModelConfig> = {}): ModelConfig {
  const known = new Set(Object.keys(REF_SMALL));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) {
      throw invalid(key, 'unknown key', `known keys: ${[...known].join(', ')}`);
    }
  }
  const config: ModelConfig = { ...REF_SMALL, ...partial };
  for (const key of INTEGER_KEYS) {
    const value = config[key];
    const min = key.endsWith('Vocab') ? MIN_VOCAB : 1;
    if (!Number.isInteger(value) || value < min) {
      throw invalid(key, `must be an integer ≥ ${min}, got ${String(value)}`, `default ${REF_SMALL[key]}`);
    }
  }
  for (const key of RATE_KEYS) {
    const value = config[key];
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw invalid(key, `must be a number in [0, 1), got ${String(value)}`, `default ${REF_SMALL[key]}`);
    }
  }
  if (!ATTENTION_KINDS.includes(config.attention)) {
    throw invalid(
      'attention',
      `unknown kind "${String(config.attention)}"`,
      `choose ${ATTENTION_KINDS.join(' or ')}`,
    );
  }
  if (typeof config.inputFeeding !== 'boolean') {
    throw invalid(
      'inputFeeding',
      `must be true or false, got ${String(config.inputFeeding)}`,
      'default false',
    );
  }
  return config;
}
