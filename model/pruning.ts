import * as tf from '@tensorflow/tfjs';

/**
 * Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune"): from `startStep` to
 * `endStep` the share of zeros in every weight matrix rises as target · (1 − (1 − progress)³), the
 * smallest magnitudes of each matrix going first; a pruned weight is set back to zero after every
 * optimizer step (Adam's moments would otherwise move it), so the masks hold to the end and across
 * a resume (they are saved with the optimizer state).
 */

/** `prune` of the train stage. */
export interface PruneOptions {
  /** Share of each weight matrix's entries that are zero from `endStep` on, in (0, 1). */
  target: number;
  /** Last step without pruning. */
  startStep: number;
  /** Step at which `target` is reached (> startStep). */
  endStep: number;
  /** Masks are recomputed every this many steps in between (and at endStep). Default 100. */
  every?: number;
}

/** A mask of one matrix: 1 keeps, 0 prunes, in the variable's layout. */
export interface PruneMask {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The sparsity the schedule asks for after `step` steps. */
export function scheduledSparsity(step: number, options: PruneOptions): number {
  if (step <= options.startStep) return 0;
  if (step >= options.endStep) return options.target;
  const progress = (step - options.startStep) / (options.endStep - options.startStep);
  return options.target * (1 - (1 - progress) ** 3);
}

/** The masks of a model's matrices (2-D variables; biases are never pruned) and their upkeep. */
export class Pruner {
  private masks = new Map<string, PruneMask>();

  constructor(
    private readonly variables: Map<string, tf.Variable>,
    readonly options: PruneOptions,
  ) {}

  /** After optimizer step `step`: recomputes the masks when the schedule says so, then applies them. */
  afterStep(step: number): void {
    const { startStep, endStep } = this.options;
    const every = this.options.every ?? 100;
    if (step > startStep && step <= endStep && ((step - startStep) % every === 0 || step === endStep))
      this.recompute(scheduledSparsity(step, this.options));
    this.apply();
  }

  /** Masks keeping the largest (1 − sparsity) magnitudes of each matrix (ties broken by position). */
  private recompute(sparsity: number): void {
    for (const [name, variable] of this.variables) {
      if (variable.shape.length !== 2) continue;
      const values = variable.dataSync() as Float32Array;
      const prune = Math.round(sparsity * values.length);
      const order = Array.from(values.keys()).sort(
        (a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b,
      );
      const mask = new Float32Array(values.length).fill(1);
      for (let i = 0; i < prune; i++) mask[order[i]] = 0;
      this.masks.set(name, { name, shape: variable.shape.slice(), values: mask });
    }
  }

  /** Zeroes the pruned weights. */
  apply(): void {
    tf.tidy(() => {
      for (const [name, mask] of this.masks) {
        const variable = this.variables.get(name)!;
        variable.assign(tf.mul(variable, tf.tensor(mask.values, mask.shape)));
      }
    });
  }

  /** The masks, for the checkpoint. */
  getMasks(): PruneMask[] {
    return [...this.masks.values()];
  }

  /** Restores masks from a checkpoint and applies them. */
  setMasks(masks: readonly PruneMask[]): void {
    this.masks = new Map(masks.map((m) => [m.name, m]));
    this.apply();
  }
}

/** Share of exact zeros among the entries of the matrices (2-D tensors) given. */
export function matrixSparsity(
  tensors: Iterable<{ shape: readonly number[]; values: Float32Array }>,
): number {
  let zeros = 0;
  let total = 0;
  for (const { shape, values } of tensors) {
    if (shape.length !== 2) continue;
    total += values.length;
    for (const v of values) if (v === 0) zeros++;
  }
  return total === 0 ? 0 : zeros / total;
}
