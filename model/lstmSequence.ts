import * as tf from '@tensorflow/tfjs';
import { blasKernelsActive } from './kernels/blasKernels.js';
import { isRecordingGradients, releaseEarly, unstack } from './ops.js';

/**
 * One LSTM direction over every time step as a single differentiable op with the fused cell
 * kernels, its backward pass written out as backpropagation through time (as cuDNN and PyTorch
 * do) instead of left to tfjs' tape:
 * - the recurrent weight's gradient is one product over all steps, dU = H₍ₜ₋₁₎ᵀ·dZ
 *   ([units, time·batch]·[time·batch, 4·units]), not one [units, 4·units] tensor per step that the
 *   tape would keep alive (and add up) until the whole backward pass ends;
 * - each backward step runs in its own tidy, so only dZ and the running dh/dc survive it.
 * The result is the same as stepping `fusedLstmCell` and tf.matMul by hand, up to float rounding.
 *
 * @param projections x·W + b of every step, time-major, [time, batch, 4·units]
 * @param recurrent U, [units, 4·units]
 * @param initial h then c before the first processed step, [2, batch, units]
 * @param masks 1 real / 0 padded per step, [time, batch]; a padded row keeps its state
 * @param reverse process the steps from last to first
 * @returns [time + 2, batch, units]: h after each step (in input order), then the final h and c
 */
export function fusedLstmSequence(
  projections: tf.Tensor3D,
  recurrent: tf.Tensor2D,
  initial: tf.Tensor3D,
  masks: tf.Tensor2D,
  reverse: boolean,
): tf.Tensor3D {
  const time = projections.shape[0];
  const order = Array.from({ length: time }, (_, step) => (reverse ? time - 1 - step : step));
  const sequence = tf.customGrad((xp, u, s0, m, save) => {
    const steps = unstack<tf.Tensor2D>(xp as tf.Tensor3D);
    const stepMasks = unstack<tf.Tensor1D>(m as tf.Tensor2D);
    const previous = new Array<tf.Tensor3D>(time);
    const previousH = new Array<tf.Tensor2D>(time);
    const products = new Array<tf.Tensor2D>(time);
    const outputs = new Array<tf.Tensor2D>(time);
    const pieces: tf.Tensor[] = [...steps, ...stepMasks];
    let state = s0 as tf.Tensor3D;
    const [h0, c0] = unstack<tf.Tensor2D>(state);
    let h = h0;
    pieces.push(h0, c0);
    for (const t of order) {
      previous[t] = state;
      previousH[t] = h;
      products[t] = tf.matMul(h, u as tf.Tensor2D);
      state = cell(steps[t], products[t], state, stepMasks[t]);
      const [nextH, nextC] = unstack<tf.Tensor2D>(state);
      h = outputs[t] = nextH;
      pieces.push(state, nextH, nextC, products[t]);
    }
    const [finalH, finalC] = unstack<tf.Tensor2D>(state);
    (save as tf.GradSaveFunc)([
      xp,
      u,
      m,
      tf.stack(previous),
      tf.stack(products),
      tf.stack(previousH),
    ] as tf.Tensor[]);
    const value = tf.stack([...outputs, finalH, finalC]) as tf.Tensor3D;
    // The per-step pieces were copied into the stacks: free them now, not when the forward pass
    // ends (the input state s0 is the caller's).
    tf.dispose([...pieces, finalH, finalC]);
    return {
      value,
      gradFunc: (dy, saved) => releaseEarly(backward(dy as tf.Tensor3D, saved, order), saved),
    };
  });
  return sequence(projections, recurrent, initial, masks) as tf.Tensor3D;
}

/** Gradients [dProjections, dU, dInitial, dMasks (zeros)] of `fusedLstmSequence`. */
function backward(dy: tf.Tensor3D, saved: tf.Tensor[], order: number[]): tf.Tensor[] {
  const [projections, recurrent, masks, previous, products, previousH] = saved as [
    tf.Tensor3D,
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor4D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
  const [time, batch, gates] = projections.shape;
  const units = recurrent.shape[0];
  const blas = blasKernelsActive();
  // The plain wasm matMul runs transposed operands on a slow scalar loop (see dense.ts).
  const recurrentT = blas ? undefined : tf.transpose(recurrent);
  // Block copies (Unpack) rather than tf.slice, which is a slow strided loop on wasm.
  const dySteps = unstack<tf.Tensor2D>(dy);
  const dOutputs = dySteps.slice(0, time);
  let [dh, dc] = dySteps.slice(time);
  const steps = unstack<tf.Tensor2D>(projections);
  const stepProducts = unstack<tf.Tensor2D>(products);
  const stepPrevious = unstack<tf.Tensor3D>(previous);
  const stepMasks = unstack<tf.Tensor1D>(masks);
  const dz = new Array<tf.Tensor2D>(time);
  for (const t of [...order].reverse()) {
    const next = tf.tidy(() => {
      const dState = tf.stack([tf.add(dh, dOutputs[t]), dc]);
      const [dzT, dPrevious] = tf.engine().runKernel('SubflowLstmCellGrad', {
        dState,
        projection: steps[t],
        recurrent: stepProducts[t],
        state: stepPrevious[t],
        mask: stepMasks[t],
      }) as tf.Tensor[];
      const [dhCarried, dcPrevious] = unstack<tf.Tensor2D>(dPrevious);
      const throughU = recurrentT
        ? tf.matMul(dzT as tf.Tensor2D, recurrentT)
        : tf.matMul(dzT as tf.Tensor2D, recurrent, false, true);
      return { dz: dzT as tf.Tensor2D, dh: tf.add(dhCarried, throughU) as tf.Tensor2D, dc: dcPrevious };
    });
    tf.dispose([dh, dc, dOutputs[t]]);
    ({ dh, dc } = next);
    dz[t] = next.dz;
  }
  const dProjections = tf.stack(dz) as tf.Tensor3D;
  // Everything made here stays alive until tfjs' whole backward pass ends unless freed now.
  tf.dispose([...dz, ...steps, ...stepProducts, ...stepPrevious, ...stepMasks, ...dySteps]);
  if (recurrentT) recurrentT.dispose();
  const flatDz = tf.reshape(dProjections, [time * batch, gates]) as tf.Tensor2D;
  const flatH = tf.reshape(previousH, [time * batch, units]) as tf.Tensor2D;
  const dRecurrent = blas ? tf.matMul(flatH, flatDz, true, false) : tf.matMul(tf.transpose(flatH), flatDz);
  const dInitial = tf.stack([dh, dc]);
  tf.dispose([dh, dc, flatH, flatDz]);
  return [dProjections, dRecurrent, dInitial, tf.zerosLike(masks)];
}

/** The forward `SubflowLstmCell` kernel (no tape: the sequence op owns the gradient). */
function cell(
  projection: tf.Tensor2D,
  product: tf.Tensor2D,
  state: tf.Tensor3D,
  mask: tf.Tensor1D,
): tf.Tensor3D {
  return (
    tf
      .engine()
      .runKernel('SubflowLstmCell', { projection, recurrent: product, state, mask }, {}) as tf.Tensor[]
  )[0] as tf.Tensor3D;
}

/**
 * One LSTM direction over every time step as one native kernel call (sequenceKernels.ts), forward
 * and backward: the same computation as `fusedLstmSequence`, batch-major so that no transposes
 * are needed around it. Callers check `lstmSequenceKernelsActive()` first.
 *
 * @param projections x·W + b of every step, [batch, time, 4·units]
 * @param recurrent U, [units, 4·units]
 * @param initial h then c before the first processed step, [2, batch, units]
 * @param mask 1 real / 0 padded, [batch, time]; a padded row keeps its state
 * @param reverse process the steps from last to first
 * @returns h after each step (in input order) [batch, time, units], and the final h and c [batch, units]
 */
export function nativeLstmSequence(
  projections: tf.Tensor3D,
  recurrent: tf.Tensor2D,
  initial: tf.Tensor3D,
  mask: tf.Tensor2D,
  reverse: boolean,
): { outputs: tf.Tensor3D; h: tf.Tensor2D; c: tf.Tensor2D } {
  const [batch, time, gates] = projections.shape;
  const units = gates / 4;
  // Outside a gradient tape (decoding) nothing is kept for a backward pass. (Asked here: inside
  // the custom gradient's forward function tfjs reports no tape.)
  const keep = isRecordingGradients();
  const sequence = tf.customGrad((xp, u, s0, m, save) => {
    const [value, ...kept] = tf.engine().runKernel(
      'SubflowLstmSequence',
      { projections: xp, recurrent: u, initial: s0, mask: m } as tf.NamedTensorMap,
      {
        reverse,
        keep,
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    if (keep) (save as tf.GradSaveFunc)([u, m, ...kept] as tf.Tensor[]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [savedU, savedM, savedGates, cPrev, hPrev] = saved;
        const [dProjections, dRecurrent, dInitial] = tf
          .engine()
          .runKernel(
            'SubflowLstmSequenceGrad',
            { dValue: dy as tf.Tensor, gates: savedGates, cPrev, hPrev, recurrent: savedU, mask: savedM },
            { reverse } as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        return releaseEarly([dProjections, dRecurrent, dInitial, tf.zerosLike(savedM)], saved);
      },
    };
  });
  const value = sequence(projections, recurrent, initial, mask) as tf.Tensor1D;
  const [outputs, h, c] = tf.split(value, [batch * time * units, batch * units, batch * units]);
  return {
    outputs: tf.reshape(outputs, [batch, time, units]),
    h: tf.reshape(h, [batch, units]),
    c: tf.reshape(c, [batch, units]),
  };
}
