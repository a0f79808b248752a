import { SubflowError } from '../errors.js';

/** Which learning-rate schedule to use and its settings (config key `training.schedule`). */
export type ScheduleConfig =
  | { kind: 'constant' }
  /**
   * Linear warm-up to the base rate over `warmupSteps` (default 4000), then decay ∝ 1/√step
   * (Vaswani et al. 2017, §5.3).
   */
  | { kind: 'inverse-sqrt'; warmupSteps?: number }
  /**
   * Multiply the rate by `factor` when the validation loss has not improved by more than
   * `threshold` (relative) for more than `patience` validations in a row (as PyTorch's
   * ReduceLROnPlateau); never below `minLearningRate`. Defaults: factor 0.5, patience 3, min 1e-6.
   */
  | { kind: 'plateau'; factor?: number; patience?: number; minLearningRate?: number; threshold?: number };

/** The saveable part of a schedule (only plateau has any). */
export interface ScheduleState {
  kind: ScheduleConfig['kind'];
  /** The rate now in force (plateau). */
  learningRate?: number;
  /** Best validation loss seen (plateau); null before the first validation. */
  bestLoss?: number | null;
  /** Validations in a row without improvement (plateau). */
  badValidations?: number;
}

/** A learning-rate schedule: the rate for each step, optionally steered by validation results. */
export interface LearningRateSchedule {
  /** The rate to use for 1-based training step `step`. */
  rateAt(step: number): number;
  /** Reports a validation loss (lower is better); plateau may lower the rate. */
  onValidation(loss: number): void;
  getState(): ScheduleState;
  setState(state: ScheduleState): void;
}

/**
 * Builds the schedule `config` describes around `baseLearningRate`.
 * @throws SubflowError CONFIG_INVALID for out-of-range settings, naming the key
 */
export function createSchedule(
  schedule: ScheduleConfig | ScheduleConfig['kind'],
  baseLearningRate: number,
): LearningRateSchedule {
  // A bare name (`schedule: plateau` in YAML) means that schedule with its default settings.
  const config: ScheduleConfig = typeof schedule === 'string' ? { kind: schedule } : schedule;
  if (!(baseLearningRate > 0)) invalid('learningRate', `must be > 0, got ${baseLearningRate}`);
  switch (config.kind) {
    case 'constant':
      return new ConstantSchedule(baseLearningRate);
    case 'inverse-sqrt': {
      const warmupSteps = config.warmupSteps ?? 4000;
      if (!(Number.isInteger(warmupSteps) && warmupSteps > 0))
        invalid('schedule.warmupSteps', `must be a positive integer, got ${warmupSteps}`);
      return new InverseSqrtSchedule(baseLearningRate, warmupSteps);
    }
    case 'plateau':
      return new PlateauSchedule(baseLearningRate, config);
    default:
      return invalid('schedule.kind', `unknown schedule "${(config as { kind: string }).kind}"`);
  }
}

function invalid(key: string, problem: string): never {
  throw new SubflowError('CONFIG_INVALID', `training.${key} ${problem}`, {
    key: `training.${key}`,
    hint: 'schedules: constant | inverse-sqrt (warmupSteps) | plateau (factor, patience, minLearningRate)',
  });
}

function checkKind(state: ScheduleState, kind: ScheduleConfig['kind']): void {
  if (state.kind !== kind) {
    throw new SubflowError(
      'MODEL_MISMATCH',
      `saved schedule is "${state.kind}" but this run uses "${kind}"`,
      {
        hint: 'resume with the schedule the checkpoint was trained with',
      },
    );
  }
}

class ConstantSchedule implements LearningRateSchedule {
  constructor(private readonly rate: number) {}
  rateAt(): number {
    return this.rate;
  }
  onValidation(): void {}
  getState(): ScheduleState {
    return { kind: 'constant' };
  }
  setState(state: ScheduleState): void {
    checkKind(state, 'constant');
  }
}

class InverseSqrtSchedule implements LearningRateSchedule {
  constructor(
    private readonly base: number,
    private readonly warmupSteps: number,
  ) {}
  /** base · min(step/warmup, √(warmup/step)): reaches `base` exactly at step = warmup. */
  rateAt(step: number): number {
    const s = Math.max(step, 1);
    return this.base * Math.min(s / this.warmupSteps, Math.sqrt(this.warmupSteps / s));
  }
  onValidation(): void {}
  getState(): ScheduleState {
    return { kind: 'inverse-sqrt' };
  }
  setState(state: ScheduleState): void {
    checkKind(state, 'inverse-sqrt');
  }
}

class PlateauSchedule implements LearningRateSchedule {
  private rate: number;
  private bestLoss: number | null = null;
  private badValidations = 0;
  private readonly factor: number;
  private readonly patience: number;
  private readonly minRate: number;
  private readonly threshold: number;

  constructor(base: number, config: Extract<ScheduleConfig, { kind: 'plateau' }>) {
    this.rate = base;
    this.factor = config.factor ?? 0.5;
    this.patience = config.patience ?? 3;
    this.minRate = config.minLearningRate ?? 1e-6;
    this.threshold = config.threshold ?? 1e-4;
    if (!(this.factor > 0 && this.factor < 1))
      invalid('schedule.factor', `must be in (0, 1), got ${this.factor}`);
    if (!(Number.isInteger(this.patience) && this.patience >= 0))
      invalid('schedule.patience', `must be an integer ≥ 0, got ${this.patience}`);
    if (!(this.minRate >= 0)) invalid('schedule.minLearningRate', `must be ≥ 0, got ${this.minRate}`);
  }

  rateAt(): number {
    return this.rate;
  }

  onValidation(loss: number): void {
    // Relative threshold, as PyTorch's ReduceLROnPlateau(threshold_mode='rel').
    if (this.bestLoss === null || loss < this.bestLoss * (1 - this.threshold)) {
      this.bestLoss = loss;
      this.badValidations = 0;
      return;
    }
    this.badValidations += 1;
    if (this.badValidations > this.patience) {
      this.rate = Math.max(this.rate * this.factor, this.minRate);
      this.badValidations = 0;
    }
  }

  getState(): ScheduleState {
    return {
      kind: 'plateau',
      learningRate: this.rate,
      bestLoss: this.bestLoss,
      badValidations: this.badValidations,
    };
  }

  setState(state: ScheduleState): void {
    checkKind(state, 'plateau');
    this.rate = state.learningRate ?? this.rate;
    this.bestLoss = state.bestLoss ?? null;
    this.badValidations = state.badValidations ?? 0;
  }
}
