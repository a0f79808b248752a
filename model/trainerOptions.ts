import { SubflowError } from '../errors.js';
import type { Batch } from '../types.js';
import { ADAM_DEFAULTS } from './optimizer.js';
import type { CheckpointModel } from './checkpoint.js';
import type { TrainableModel, TrainerOptions } from './trainer.js';

/**
 * Defaults of the training settings (`ref-small`'s: Adam, learning rate and clip from ADAM_DEFAULTS,
 * constant schedule); the trainer, the train stage's schema and its help read them from here.
 */
export const TRAINING_DEFAULTS = Object.freeze({
  optimizer: 'adam' as const,
  learningRate: ADAM_DEFAULTS.learningRate,
  clipNorm: ADAM_DEFAULTS.clipNorm,
  schedule: Object.freeze({ kind: 'constant' as const }),
  seed: 1,
  checkpointEvery: 1000,
  keepLast: 3,
});

/** A model the training loop can train, validate and checkpoint (Seq2Seq satisfies this). */
export type SessionModel = TrainableModel & CheckpointModel;

/** Metric that decides the best checkpoint and early stopping: loss is minimised, BLEU/chrF maximised. */
export type ValidationMetric = 'loss' | 'bleu' | 'chrf';

/** Settings of a whole training run; see `train` in operators/train.ts for their meaning. */
export interface SessionOptions<M extends SessionModel> extends TrainerOptions {
  /** Only Adam is implemented. */
  optimizer?: 'adam';
  /** Stop after this many steps in all (counting steps before a resume). */
  maxSteps?: number;
  /** Stop after this many epochs in all. */
  maxEpochs?: number;
  /** Stop after this many minutes of wall time of this run (since subscribe; a resume starts afresh). */
  maxMinutes?: number;
  /** Validate every this many steps, and once at the end of the run. Needs `devBatches`. */
  validateEvery?: number;
  /** Dev set batches; re-iterated at every validation, so an array (or a re-iterable). */
  devBatches?: Iterable<Batch>;
  /** Extra dev metrics computed by the caller, e.g. greedy BLEU/chrF. */
  evaluate?: (model: M) => Promise<{ bleu?: number; chrf?: number }>;
  /** Stop when `metric` has not improved by more than `minDelta` for `patience` validations. */
  earlyStopping?: { metric: ValidationMetric; patience: number; minDelta?: number };
  checkpoint?: {
    /** Folder receiving `last/`, `best/` and `step-N/`. */
    dir: string;
    /** Write `last/` and `step-N/` every this many steps. Default TRAINING_DEFAULTS.checkpointEvery. */
    every?: number;
    /** How many `step-N/` folders to keep; 0 writes none. Default TRAINING_DEFAULTS.keepLast. */
    keepLast?: number;
    /** SentencePiece models to copy into every checkpoint. */
    tokenizers?: { source: string; target: string };
    /** Storage type of weights.bin. Default float32. */
    weightsDtype?: 'float32' | 'float16';
    /** Description of the training data for model.json. */
    data?: string;
    /** The language pair (ISO 639-1) for model.json. */
    languages?: { source: string; target: string };
  };
  /** A checkpoint folder (usually `<dir>/last`) to continue from. */
  resume?: string;
}

/**
 * Checks a run's settings before any work starts.
 * @throws SubflowError CONFIG_INVALID naming the key (`training.maxSteps` …) and what to do
 */
export function checkSessionOptions<M extends SessionModel>(options: SessionOptions<M>): void {
  const bad = (key: string, problem: string, hint: string): never => {
    throw new SubflowError('CONFIG_INVALID', `training.${key} ${problem}`, { key: `training.${key}`, hint });
  };
  const positiveIntegers: [string, number | undefined][] = [
    ['maxSteps', options.maxSteps],
    ['maxEpochs', options.maxEpochs],
    ['validateEvery', options.validateEvery],
    ['earlyStopping.patience', options.earlyStopping?.patience],
    ['checkpoint.every', options.checkpoint?.every],
  ];
  for (const [key, value] of positiveIntegers) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0))
      bad(key, `must be a positive integer, got ${value}`, 'or leave it out for the default');
  }
  const keepLast = options.checkpoint?.keepLast;
  if (keepLast !== undefined && !(Number.isInteger(keepLast) && keepLast >= 0))
    bad('checkpoint.keepLast', `must be an integer ≥ 0, got ${keepLast}`, '0 writes no step-N/ folders');
  if (options.maxMinutes !== undefined && !(options.maxMinutes > 0))
    bad('maxMinutes', `must be > 0, got ${options.maxMinutes}`, 'or leave it out');
  if (options.clipNorm !== undefined && !(options.clipNorm >= 0))
    bad(
      'clipNorm',
      `must be ≥ 0, got ${options.clipNorm}`,
      `0 turns clipping off; default ${TRAINING_DEFAULTS.clipNorm}`,
    );
  if (options.optimizer !== undefined && options.optimizer !== 'adam')
    bad('optimizer', `"${options.optimizer as string}" is not supported`, 'use adam');
  if (options.validateEvery !== undefined && !options.devBatches)
    bad(
      'validateEvery',
      'is set but no dev batches were given',
      'pass devBatches (the dev set) or drop validateEvery',
    );
  const metric = options.earlyStopping?.metric;
  if (metric !== undefined && metric !== 'loss' && metric !== 'bleu' && metric !== 'chrf')
    bad('earlyStopping.metric', `"${metric as string}" is unknown`, 'choose loss, bleu or chrf');
  if (metric !== undefined && metric !== 'loss' && !options.evaluate)
    bad(
      'earlyStopping.metric',
      `is "${metric}" but no evaluate callback computes it`,
      'use metric: loss, or pass evaluate',
    );
  if (options.earlyStopping && options.validateEvery === undefined)
    bad('earlyStopping', 'needs periodic validation', 'set validateEvery and devBatches');
}
