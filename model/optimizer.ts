import * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import { fusedKernelsActive } from './kernels/fusedKernels.js';

/** Defaults of {@link AdamOptions}: Kingma & Ba (2015), with `ref-small`'s step size and clip. */
export const ADAM_DEFAULTS = Object.freeze({
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clipNorm: 5,
});

/** Adam hyper-parameters; defaults in {@link ADAM_DEFAULTS}. */
export interface AdamOptions {
  /** Step size; the schedule may change it before every step. */
  learningRate?: number;
  /** Decay of the first-moment estimate. */
  beta1?: number;
  /** Decay of the second-moment estimate. */
  beta2?: number;
  /** Added to √v̂ so the update stays finite. */
  epsilon?: number;
  /** Global gradient-norm clip (Pascanu et al. 2013); 0 turns clipping off. */
  clipNorm?: number;
}

/** The first and second moments of one variable, as plain arrays. */
export interface AdamSlot {
  name: string;
  shape: number[];
  /** First moment m, float32, same size as the variable. */
  m: Float32Array;
  /** Second moment v, float32, same size as the variable. */
  v: Float32Array;
}

/** Everything Adam needs to continue exactly where it stopped. */
export interface AdamState {
  /** Number of updates applied so far (t in the bias corrections). */
  step: number;
  slots: AdamSlot[];
}

/**
 * The factor global-norm clipping multiplies every gradient by (TensorFlow's clip_by_global_norm):
 * clipNorm / max(norm, clipNorm), so the joint L2 norm is at most clipNorm and the direction is kept.
 * @param clipNorm the largest allowed global norm; 0 (or less) turns clipping off
 */
export function clipScale(norm: number, clipNorm: number): number {
  return clipNorm > 0 ? clipNorm / Math.max(norm, clipNorm) : 1;
}

/**
 * Adam over named tf.Variables, written over plain tf ops so that its whole state (m, v, t) can be
 * read out and restored bit-exactly for resumable checkpoints. Updates are in place (`assign`).
 */
export class Adam {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly clipNorm: number;
  private readonly variables: Map<string, tf.Variable>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  /** @param variables the model's trainable variables by name; slots are created for each. */
  constructor(variables: Map<string, tf.Variable>, options: AdamOptions = {}) {
    this.learningRate = options.learningRate ?? ADAM_DEFAULTS.learningRate;
    this.beta1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
    this.epsilon = options.epsilon ?? ADAM_DEFAULTS.epsilon;
    this.clipNorm = options.clipNorm ?? ADAM_DEFAULTS.clipNorm;
    this.variables = variables;
    for (const [name, variable] of variables) {
      // tidy frees the zeros tensors; the variables keep their own reference to the data.
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      );
    }
  }

  /** Updates applied so far. */
  get step(): number {
    return this.t;
  }

  /**
   * Clips `grads` by global norm and applies one Adam update to the variables they name.
   * Variables without a gradient are left alone (their moments do not decay), as in PyTorch.
   * A non-finite norm skips the update entirely, so one bad batch cannot poison the weights.
   * @returns the global gradient norm before clipping (NaN/Infinity when the update was skipped)
   */
  applyGradients(grads: tf.NamedTensorMap): number {
    const names = [...this.variables.keys()].filter((name) => grads[name] !== undefined);
    const fused = fusedKernelsActive();
    // One variable at a time, each in its own tidy, so the temporaries never exceed one variable's;
    // the sum stays on the device so the norm costs one read (one GPU sync on tfjs-node-gpu).
    let total: tf.Tensor = tf.zeros([1]);
    for (const name of names) {
      const next = tf.tidy(() =>
        tf.add(
          total,
          fused
            ? (tf.engine().runKernel('SubflowSumOfSquares', { x: grads[name] }, {}) as tf.Tensor[])[0]
            : tf.reshape(tf.sum(tf.square(grads[name])), [1]),
        ),
      );
      total.dispose();
      total = next;
    }
    const sumOfSquares = total.dataSync()[0];
    total.dispose();
    const normValue = Math.sqrt(sumOfSquares);
    if (!Number.isFinite(normValue)) return normValue;
    this.t += 1;
    const t = this.t;
    // The clip factor goes into the scalar coefficients instead of materialising clipped gradients:
    // m ← β₁m + (1−β₁)·s·g, v ← β₂v + (1−β₂)·s²·g². Bias corrections are folded into the step
    // size (Kingma & Ba, §2, the "more efficient" form): w ← w − α·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε).
    const scale = clipScale(normValue, this.clipNorm);
    const stepSize = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    for (const name of names) {
      const variable = this.variables.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        if (fused) {
          const [wNext, mNext, vNext] = tf
            .engine()
            .runKernel(
              'SubflowAdam',
              { variable, gradient: grads[name], m, v },
              { beta1: this.beta1, beta2: this.beta2, gradScale: scale, stepSize, epsilon: this.epsilon },
            ) as tf.Tensor[];
          m.assign(mNext);
          v.assign(vNext);
          variable.assign(wNext);
          return;
        }
        const g = grads[name];
        const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(g, (1 - this.beta1) * scale));
        const vNext = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), (1 - this.beta2) * scale * scale));
        m.assign(mNext);
        v.assign(vNext);
        variable.assign(
          tf.sub(variable, tf.div(tf.mul(mNext, stepSize), tf.add(tf.sqrt(vNext), this.epsilon))),
        );
      });
    }
    return normValue;
  }

  /** A copy of the moments and step count, in the variables' order. */
  getState(): AdamState {
    const slots: AdamSlot[] = [];
    for (const [name, variable] of this.variables) {
      slots.push({
        name,
        shape: variable.shape.slice(),
        m: Float32Array.from(this.m.get(name)!.dataSync() as Float32Array),
        v: Float32Array.from(this.v.get(name)!.dataSync() as Float32Array),
      });
    }
    return { step: this.t, slots };
  }

  /**
   * Restores a state from `getState`; every variable must have a slot of the same shape.
   * @throws SubflowError MODEL_MISMATCH naming the variables that differ
   */
  setState(state: AdamState): void {
    const byName = new Map(state.slots.map((slot) => [slot.name, slot]));
    const problems: string[] = [];
    for (const [name, variable] of this.variables) {
      const slot = byName.get(name);
      if (slot === undefined) problems.push(`${name}: missing`);
      else if (!sameShape(slot.shape, variable.shape))
        problems.push(`${name}: saved [${slot.shape}] but model has [${variable.shape}]`);
    }
    for (const name of byName.keys())
      if (!this.variables.has(name)) problems.push(`${name}: not in the model`);
    if (problems.length > 0) {
      throw new SubflowError(
        'MODEL_MISMATCH',
        `optimizer state does not fit the model: ${problems.join('; ')}`,
        {
          hint: 'resume only from a checkpoint of the same model configuration',
        },
      );
    }
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const slot = byName.get(name)!;
        this.m.get(name)!.assign(tf.tensor(slot.m, variable.shape, 'float32'));
        this.v.get(name)!.assign(tf.tensor(slot.v, variable.shape, 'float32'));
      }
    });
    this.t = state.step;
  }

  /** Frees the moment variables (the model's variables stay). */
  dispose(): void {
    for (const slot of [...this.m.values(), ...this.v.values()]) slot.dispose();
    this.m.clear();
    this.v.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}
