import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../types.js';
import { Adam, type AdamState } from './optimizer.js';
import { TRAINING_DEFAULTS } from './trainerOptions.js';
import { Pruner, type PruneMask, type PruneOptions } from './pruning.js';
import {
  createSchedule,
  type LearningRateSchedule,
  type ScheduleConfig,
  type ScheduleState,
} from './schedule.js';

/** What the trainer needs of a model (Seq2Seq satisfies this). */
export interface TrainableModel {
  readonly config: object;
  readonly variables: Map<string, tf.Variable>;
  /** Mean loss per non-PAD target token; `seed` fixes the dropout masks. */
  loss(batch: Batch, options: { training: boolean; seed?: number }): tf.Scalar;
}

/** Optimisation settings (config keys under `training`); defaults in TRAINING_DEFAULTS. */
export interface TrainerOptions {
  /** Base Adam step size. */
  learningRate?: number;
  /** Global gradient-norm clip; 0 turns it off. */
  clipNorm?: number;
  /** Learning-rate schedule, or just its name for the defaults ('plateau'). */
  schedule?: ScheduleConfig | ScheduleConfig['kind'];
  /** Root of all training randomness (dropout masks). */
  seed?: number;
  /** Gradual magnitude pruning of the weight matrices (pruning.ts); off by default. */
  prune?: PruneOptions;
}

/** Result of one optimisation step. */
export interface StepResult {
  /** Mean loss per target token of the batch, before the update. */
  loss: number;
  /** Global gradient norm before clipping; not finite when the update was skipped. */
  gradNorm: number;
  learningRate: number;
  targetTokens: number;
  /** True when a non-finite gradient norm made the optimiser skip this update. */
  skipped: boolean;
}

/** The trainer's own state: step, optimiser moments and schedule. */
export interface TrainerState {
  step: number;
  seed: number;
  optimizer: AdamState;
  schedule: ScheduleState;
  /** Pruning masks, when pruning has started. */
  pruneMasks?: PruneMask[];
}

/**
 * A 32-bit dropout seed for a step, mixed from (seed, step) with a murmur3-style finaliser so that
 * neighbouring steps get unrelated masks and a resumed run draws exactly the masks the uninterrupted
 * run would have drawn.
 */
export function dropoutSeed(seed: number, step: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step >>> 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Trains a model one batch at a time: loss and gradients (tf.variableGrads), global-norm clipping,
 * an Adam update with the scheduled rate. Holds no tensors between steps besides the model's and
 * the optimiser's variables.
 */
export class Trainer {
  readonly model: TrainableModel;
  readonly optimizer: Adam;
  readonly schedule: LearningRateSchedule;
  private seed: number;
  private stepsDone = 0;
  private readonly pruner?: Pruner;

  constructor(model: TrainableModel, options: TrainerOptions = {}) {
    const learningRate = options.learningRate ?? TRAINING_DEFAULTS.learningRate;
    this.model = model;
    this.seed = options.seed ?? TRAINING_DEFAULTS.seed;
    this.schedule = createSchedule(options.schedule ?? TRAINING_DEFAULTS.schedule, learningRate);
    this.optimizer = new Adam(model.variables, {
      learningRate,
      clipNorm: options.clipNorm ?? TRAINING_DEFAULTS.clipNorm,
    });
    if (options.prune) this.pruner = new Pruner(model.variables, options.prune);
  }

  /** Steps completed so far. */
  get stepCount(): number {
    return this.stepsDone;
  }

  /** Trains on one batch: forward with dropout, backward, clip, update. */
  step(batch: Batch): StepResult {
    const stepNumber = this.stepsDone + 1;
    const learningRate = this.schedule.rateAt(stepNumber);
    this.optimizer.learningRate = learningRate;
    const seed = dropoutSeed(this.seed, stepNumber);
    const variables = [...this.model.variables.values()];
    let loss = NaN;
    let gradNorm = NaN;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => this.model.loss(batch, { training: true, seed }),
        variables,
      );
      loss = value.dataSync()[0];
      // variableGrads keys gradients by tf's registered variable name; the optimiser uses the model's.
      const byModelName: tf.NamedTensorMap = {};
      for (const [name, variable] of this.model.variables) {
        if (grads[variable.name] !== undefined) byModelName[name] = grads[variable.name];
      }
      gradNorm = this.optimizer.applyGradients(byModelName);
    });
    this.pruner?.afterStep(stepNumber);
    this.stepsDone = stepNumber;
    return {
      loss,
      gradNorm,
      learningRate,
      targetTokens: batch.targetTokens,
      skipped: !Number.isFinite(gradNorm),
    };
  }

  /**
   * Loss over `batches` without dropout: the mean per target token over all of them (each batch's
   * mean weighted by its token count), so it does not depend on how the set was batched.
   */
  validate(batches: Iterable<Batch>): { loss: number; targetTokens: number } {
    let weightedLoss = 0;
    let targetTokens = 0;
    for (const batch of batches) {
      const loss = tf.tidy(() => this.model.loss(batch, { training: false }).dataSync()[0]);
      weightedLoss += loss * batch.targetTokens;
      targetTokens += batch.targetTokens;
    }
    return { loss: targetTokens === 0 ? NaN : weightedLoss / targetTokens, targetTokens };
  }

  /** Reports a validation loss to the schedule (plateau lowers the rate on it). */
  reportValidation(loss: number): void {
    this.schedule.onValidation(loss);
  }

  /** A copy of everything needed to continue training exactly. */
  getState(): TrainerState {
    return {
      step: this.stepsDone,
      seed: this.seed,
      optimizer: this.optimizer.getState(),
      schedule: this.schedule.getState(),
      ...(this.pruner ? { pruneMasks: this.pruner.getMasks() } : {}),
    };
  }

  /** Restores a state from `getState` (or a checkpoint); the saved seed replaces the configured one. */
  setState(state: TrainerState): void {
    this.optimizer.setState(state.optimizer);
    this.schedule.setState(state.schedule);
    this.stepsDone = state.step;
    this.seed = state.seed;
    if (state.pruneMasks) this.pruner?.setMasks(state.pruneMasks);
  }

  /** Frees the optimiser's tensors; the model is the caller's to dispose. */
  dispose(): void {
    this.optimizer.dispose();
  }
}
