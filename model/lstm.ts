import * as tf from '@tensorflow/tfjs';
import { unstack } from './ops.js';

/**
 * Weights of one LSTM direction with the four gates fused, in the order [input, forget, output,
 * cell] so that one sigmoid covers the first three blocks.
 */
export interface LstmWeights {
  /** Input-to-gates, [inputSize, 4·units]. */
  kernel: tf.Tensor2D;
  /** Hidden-to-gates, [units, 4·units]. */
  recurrent: tf.Tensor2D;
  /** Gate bias, [4·units]. */
  bias: tf.Tensor1D;
}

/** One LSTM state. */
export interface LstmState {
  /** Hidden state, [batch, units]. */
  h: tf.Tensor2D;
  /** Cell state, [batch, units]. */
  c: tf.Tensor2D;
}

/**
 * Projects every time step's input onto the gates in one matMul: x·W + b.
 * @param inputs [batch, time, inputSize]
 * @returns [batch, time, 4·units]
 */
export function projectInputs(inputs: tf.Tensor3D, weights: LstmWeights): tf.Tensor3D {
  const [batch, time, size] = inputs.shape;
  const flat = tf.reshape(inputs, [batch * time, size]);
  const projected = tf.add(tf.matMul(flat, weights.kernel), weights.bias);
  return tf.reshape(projected, [batch, time, weights.bias.shape[0]]);
}

/**
 * One recurrence step given the precomputed input projection: z = xProj + h·U, then
 * i, f, o = σ(z[:3H]), g = tanh(z[3H:]), c' = f⊙c + i⊙g, h' = o⊙tanh(c').
 * @param inputProjection x·W + b for this step, [batch, 4·units]
 */
export function lstmStep(inputProjection: tf.Tensor2D, state: LstmState, recurrent: tf.Tensor2D): LstmState {
  const units = recurrent.shape[0];
  const z = tf.add(inputProjection, tf.matMul(state.h, recurrent));
  const [sigmoidPart, cellPart] = tf.split(z, [3 * units, units], 1);
  const [inputGate, forgetGate, outputGate] = tf.split(tf.sigmoid(sigmoidPart), 3, 1);
  const c = tf.add(tf.mul(forgetGate, state.c), tf.mul(inputGate, tf.tanh(cellPart)));
  const h = tf.mul(outputGate, tf.tanh(c));
  return { h: h as tf.Tensor2D, c: c as tf.Tensor2D };
}

/** Options of `runLstm`. */
export interface RunLstmOptions {
  /**
   * 1 for real steps, 0 for padding, [batch, time]. A masked step leaves the row's state
   * unchanged, so a padded row's final state is its state after its last real token.
   */
  mask?: tf.Tensor2D;
  /** Run from the last step to the first (the backward direction of a bidirectional layer). */
  reverse?: boolean;
}

/** Result of running an LSTM over a sequence. */
export interface LstmRun extends LstmState {
  /** Hidden state after each step, in input order, [batch, time, units]. */
  outputs: tf.Tensor3D;
}

/**
 * Runs one LSTM direction over a whole sequence. The input projection for all steps is one
 * matMul; each step does only the recurrence. With `reverse` and a `mask` whose padding is at
 * the end of each row, the padded steps come first and leave the initial (zero) state untouched,
 * so the backward direction starts at each row's own last token — the same as reversing each row
 * within its length, without a gather.
 * @param inputs [batch, time, inputSize]
 * @param initial state before the first processed step, [batch, units] each
 */
export function runLstm(
  inputs: tf.Tensor3D,
  weights: LstmWeights,
  initial: LstmState,
  options: RunLstmOptions = {},
): LstmRun {
  const time = inputs.shape[1];
  const projections = unstack<tf.Tensor2D>(projectInputs(inputs, weights), 1);
  const masks = options.mask ? unstack<tf.Tensor2D>(tf.expandDims(options.mask, 2), 1) : undefined;
  const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(time);
  let state = initial;
  for (let step = 0; step < time; step++) {
    const t = options.reverse ? time - 1 - step : step;
    const next = lstmStep(projections[t], state, weights.recurrent);
    state = masks ? carryMasked(masks[t], next, state) : next;
    outputs[t] = state.h;
  }
  return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, h: state.h, c: state.c };
}

/** where(mask, next, previous) per row, as previous + m·(next − previous); mask [batch, 1]. */
function carryMasked(mask: tf.Tensor2D, next: LstmState, previous: LstmState): LstmState {
  return {
    h: tf.add(previous.h, tf.mul(mask, tf.sub(next.h, previous.h))),
    c: tf.add(previous.c, tf.mul(mask, tf.sub(next.c, previous.c))),
  };
}
