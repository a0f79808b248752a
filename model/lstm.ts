import * as tf from '@tensorflow/tfjs';
import { blasKernelsActive } from './kernels/blasKernels.js';
import { matMul2d } from './dense.js';
import { fusedKernelsActive } from './kernels/fusedKernels.js';
import { lstmSequenceKernelsActive } from './kernels/sequenceKernels.js';
import { fusedLstmSequence, nativeLstmSequence } from './lstmSequence.js';
import { reshape, unstack } from './ops.js';

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
  const projected = matMul2d(reshape(inputs, [batch * time, size]), weights.kernel, weights.bias);
  return reshape(projected, [batch, time, weights.bias.shape[0]]);
}

/**
 * One recurrence step given the precomputed input projection: z = xProj + h·U, then
 * i, f, o = σ(z[:3H]), g = tanh(z[3H:]), c' = f⊙c + i⊙g, h' = o⊙tanh(c').
 * @param inputProjection x·W + b for this step, [batch, 4·units]
 * @param recurrentTransposed Uᵀ [4·units, units], optional, reused by the backward pass
 */
export function lstmStep(
  inputProjection: tf.Tensor2D,
  state: LstmState,
  recurrent: tf.Tensor2D,
  recurrentTransposed?: tf.Tensor2D,
): LstmState {
  const recurrentProduct = matMul2d(state.h, recurrent, undefined, recurrentTransposed);
  if (fusedKernelsActive()) {
    const rows = tf.ones([state.h.shape[0]]) as tf.Tensor1D;
    const next = fusedLstmCell(
      inputProjection,
      recurrentProduct,
      tf.stack([state.h, state.c]) as tf.Tensor3D,
      rows,
    );
    const [h, c] = unstack<tf.Tensor2D>(next);
    return { h, c };
  }
  const units = recurrent.shape[0];
  const z = tf.add(inputProjection, recurrentProduct);
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
 * matMul; each step does only the recurrence: with the native addon the whole recurrence and its
 * backpropagation through time are one kernel call each (lstmSequence.ts's nativeLstmSequence),
 * with the fused JS kernels one op with its own backpropagation through time
 * (fusedLstmSequence), elsewhere plain tfjs ops per step. With `reverse` and a `mask` whose padding is at
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
  if (fusedKernelsActive() && lstmSequenceKernelsActive()) {
    const rows = inputs.shape[0];
    return nativeLstmSequence(
      projectInputs(inputs, weights),
      weights.recurrent,
      tf.stack([initial.h, initial.c]) as tf.Tensor3D,
      options.mask ?? (tf.ones([rows, time]) as tf.Tensor2D),
      options.reverse ?? false,
    );
  }
  if (fusedKernelsActive()) {
    const rows = inputs.shape[0];
    const sequence = fusedLstmSequence(
      tf.transpose(projectInputs(inputs, weights), [1, 0, 2]) as tf.Tensor3D,
      weights.recurrent,
      tf.stack([initial.h, initial.c]) as tf.Tensor3D,
      options.mask ? (tf.transpose(options.mask) as tf.Tensor2D) : (tf.ones([time, rows]) as tf.Tensor2D),
      options.reverse ?? false,
    );
    const [outputs, finalH, finalC] = tf.split(sequence, [time, 1, 1], 0);
    return {
      outputs: tf.transpose(outputs, [1, 0, 2]) as tf.Tensor3D,
      h: tf.squeeze(finalH, [0]) as tf.Tensor2D,
      c: tf.squeeze(finalC, [0]) as tf.Tensor2D,
    };
  }
  // Time-major so that each step's slice is one contiguous block.
  const projections = unstack<tf.Tensor2D>(tf.transpose(projectInputs(inputs, weights), [1, 0, 2]));
  // Only the plain wasm kernels need Uᵀ materialised for the backward pass (see dense.ts).
  const recurrentTransposed = blasKernelsActive() ? undefined : tf.transpose(weights.recurrent);
  const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(time);
  const order = Array.from({ length: time }, (_, step) => (options.reverse ? time - 1 - step : step));
  const masks = options.mask ? unstack<tf.Tensor2D>(tf.expandDims(tf.transpose(options.mask), 2)) : undefined;
  let state = initial;
  for (const t of order) {
    const next = lstmStep(projections[t], state, weights.recurrent, recurrentTransposed);
    state = masks ? carryMasked(masks[t], next, state) : next;
    outputs[t] = state.h;
  }
  return { outputs: tf.transpose(tf.stack(outputs), [1, 0, 2]) as tf.Tensor3D, h: state.h, c: state.c };
}

/**
 * One LSTM step after the matMuls, as the fused `SubflowLstmCell` kernel with its own gradient.
 * @param projection x·W + b,       [batch, 4·units]
 * @param recurrentProduct h·U,     [batch, 4·units]
 * @param state h then c,           [2, batch, units]
 * @param mask 1 real / 0 padded,   [batch]; a padded row keeps its state
 * @returns next state,             [2, batch, units]
 */
export function fusedLstmCell(
  projection: tf.Tensor2D,
  recurrentProduct: tf.Tensor2D,
  state: tf.Tensor3D,
  mask: tf.Tensor1D,
): tf.Tensor3D {
  const cell = tf.customGrad((xp, hu, s, m, save) => {
    const inputs = { projection: xp, recurrent: hu, state: s, mask: m } as unknown as tf.NamedTensorMap;
    (save as tf.GradSaveFunc)([xp, hu, s, m] as tf.Tensor[]);
    return {
      value: (tf.engine().runKernel('SubflowLstmCell', inputs, {}) as tf.Tensor[])[0],
      gradFunc: (dy, saved) => {
        const [savedXp, savedHu, savedS, savedM] = saved;
        const [dz, dPrevious] = tf.engine().runKernel('SubflowLstmCellGrad', {
          dState: dy as tf.Tensor,
          projection: savedXp,
          recurrent: savedHu,
          state: savedS,
          mask: savedM,
        }) as tf.Tensor[];
        return [dz, tf.clone(dz), dPrevious, tf.zerosLike(savedM)];
      },
    };
  });
  return cell(projection, recurrentProduct, state, mask) as tf.Tensor3D;
}

/** where(mask, next, previous) per row, as previous + m·(next − previous); mask [batch, 1]. */
function carryMasked(mask: tf.Tensor2D, next: LstmState, previous: LstmState): LstmState {
  return {
    h: tf.add(previous.h, tf.mul(mask, tf.sub(next.h, previous.h))),
    c: tf.add(previous.c, tf.mul(mask, tf.sub(next.c, previous.c))),
  };
}
