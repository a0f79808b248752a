import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { addonWithBlas, blasKernelRunnable } from './blasKernels.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * `SubflowOutputLoss`: the output layer and the label-smoothed loss of a training step in one
 * native call (native/src/output_loss.c), for wasm and cpu. Inputs: hidden [tokens, units],
 * kernel [units, vocab], bias [vocab], targets [tokens] int32, weights [tokens]. Attrs: smoothing,
 * chunkRows. Outputs: loss per token [tokens] (weighted), dHidden [tokens, units], dKernel [units,
 * vocab], dBias [vocab] — the gradients of Σ loss. The chunked tfjs path of outputLoss.ts is the
 * reference it is tested against; this one saves that path's per-chunk dispatch, the zero-filled
 * [units, vocab] accumulator and the additions into it (W's gradient accumulates inside OpenBLAS).
 */
export function outputLossKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { hidden, kernel, bias, targets, weights } = inputs as Record<string, tf.TensorInfo>;
    const { smoothing, chunkRows } = attrs as { smoothing: number; chunkRows: number };
    const [tokens, units] = hidden.shape;
    const vocab = kernel.shape[1];
    const native = addonWithBlas('SubflowOutputLoss');
    const float = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [hidden, kernel, bias, targets, weights],
      [float([tokens]), float([tokens, units]), float([units, vocab]), float([vocab])],
    );
    const [h, w, b, y, tokenWeights] = views;
    const [loss, dHidden, dKernel, dBias] = outputs as Float32Array[];
    native.outputLoss(
      h as Float32Array,
      w as Float32Array,
      b as Float32Array,
      y as Int32Array,
      tokenWeights as Float32Array,
      loss,
      dHidden,
      dKernel,
      dBias,
      tokens,
      units,
      vocab,
      smoothing,
      chunkRows,
    );
    return io.result(infos);
  };
}

let outputLossEnabled = true;

/** Turns the native output-layer loss off (the chunked tfjs path runs) or back on; for tests and A/B runs. */
export function setOutputLossKernelEnabled(enabled: boolean): void {
  outputLossEnabled = enabled;
}

/** True when `SubflowOutputLoss` can run: enabled, registered for the active backend, and OpenBLAS loaded. */
export function outputLossKernelActive(): boolean {
  return outputLossEnabled && blasKernelRunnable('SubflowOutputLoss');
}
