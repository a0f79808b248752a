import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { addonWithBlas, blasKernelRunnable } from './blasKernels.js';
import type { NativeAddon } from './nativeAddon.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Whole LSTM sequences in C (native/src/lstm.c), for wasm and cpu: the forward pass over every
 * time step and its backpropagation through time each in one kernel call, instead of a tfjs
 * matMul, cell kernel, stack and unstack per step. The recurrent products run per step as one
 * cblas_sgemm over the batch. Native only (needs OpenBLAS): lstm.ts checks
 * `lstmSequenceKernelsActive()` and otherwise steps the fused cell kernels (lstmSequence.ts),
 * which is the reference these kernels are tested against.
 */

const addon = (): NativeAddon => addonWithBlas('SubflowLstmSequence');

/**
 * Forward. Inputs: projections x·W + b [B,T,4H], recurrent U [H,4H], initial h then c [2,B,H],
 * mask [B,T] (1 real, 0 padded: the row keeps its state). Attrs: reverse, keep. Outputs: value
 * [B·T·H + 2·B·H] (outputs [B,T,H] then the final h and c), and with `keep` the activated gates
 * [B,T,4H] and the c and h before each step [B,T,H] for the backward kernel.
 */
export function lstmSequenceKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { projections, recurrent, initial, mask } = inputs as Record<string, tf.TensorInfo>;
    const { reverse, keep } = attrs as { reverse: boolean; keep: boolean };
    const [batch, time, gates] = projections.shape;
    const units = gates / 4;
    const float = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [projections, recurrent, initial, mask],
      [
        float([(batch * time + 2 * batch) * units]),
        ...(keep
          ? [float([batch, time, gates]), float([batch, time, units]), float([batch, time, units])]
          : []),
      ],
    );
    const [xp, u, s0, m] = views as Float32Array[];
    const [value, gatesOut, cPrev, hPrev] = outputs as Float32Array[];
    addon().lstmSequence(
      xp,
      u,
      s0,
      m,
      value,
      gatesOut ?? null,
      cPrev ?? null,
      hPrev ?? null,
      batch,
      time,
      units,
      reverse,
    );
    return io.result(infos);
  };
}

/**
 * Backward. Inputs: dValue (as the forward value), gates, cPrev, hPrev (the forward's kept
 * outputs), recurrent, mask. Attr: reverse. Outputs: dProjections [B,T,4H], dRecurrent [H,4H],
 * dInitial [2,B,H].
 */
export function lstmSequenceGradKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { dValue, gates, cPrev, hPrev, recurrent, mask } = inputs as Record<string, tf.TensorInfo>;
    const { reverse } = attrs as { reverse: boolean };
    const [batch, time, gateCount] = gates.shape;
    const units = gateCount / 4;
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [dValue, gates, cPrev, hPrev, recurrent, mask],
      [
        { shape: gates.shape, dtype: 'float32' },
        { shape: recurrent.shape, dtype: 'float32' },
        { shape: [2, batch, units], dtype: 'float32' },
      ],
    );
    const [dv, g, c, h, u, m] = views as Float32Array[];
    const [dProjections, dRecurrent, dInitial] = outputs as Float32Array[];
    addon().lstmSequenceGrad(
      dv,
      g,
      c,
      h,
      u,
      m,
      dProjections,
      dRecurrent,
      dInitial,
      batch,
      time,
      units,
      reverse,
    );
    return io.result(infos);
  };
}

let sequenceEnabled = true;

/** Turns the sequence kernels off (the per-step fused path runs) or back on; for tests and A/B runs. */
export function setLstmSequenceKernelsEnabled(enabled: boolean): void {
  sequenceEnabled = enabled;
}

/** True when the sequence kernels can run: enabled, registered for the active backend, and OpenBLAS loaded. */
export function lstmSequenceKernelsActive(): boolean {
  return sequenceEnabled && blasKernelRunnable('SubflowLstmSequence');
}
