import { createRequire } from 'node:module';
import { cachedProbe, cpuIdentity, decideCore, defaultCacheDir, probeCore } from './openblasCore.js';

/**
 * Loads `subflow-native` (native/), the optional addon with subflow's C kernels: OpenBLAS matrix
 * products (blasKernels.ts) and the LSTM-cell, cross-entropy and log-softmax loops (fusedKernels.ts). `npm ci`
 * builds it when a C compiler is present; without it every kernel has a JS/wasm path.
 */

/** The addon's interface (native/src/subflow_native.c). Arrays are views of tensor memory. */
export interface NativeAddon {
  /** out[i] = act(op(a[i])·op(b[i]) + bias) for i < batch, row-major; a batch stride of 0 broadcasts. */
  gemm(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aBatchStride: number,
    bBatchStride: number,
    bias: Float32Array | null,
    activation: number,
  ): void;
  /** Forward LSTM cell, as fusedKernels.ts's SubflowLstmCell. */
  lstmCell(
    projection: Float32Array,
    recurrent: Float32Array,
    state: Float32Array,
    mask: Float32Array,
    out: Float32Array,
    batch: number,
    units: number,
  ): void;
  /** Gradient of lstmCell, as fusedKernels.ts's SubflowLstmCellGrad. */
  lstmCellGrad(
    dState: Float32Array,
    projection: Float32Array,
    recurrent: Float32Array,
    state: Float32Array,
    mask: Float32Array,
    dz: Float32Array,
    dStatePrevious: Float32Array,
    batch: number,
    units: number,
  ): void;
  /**
   * One LSTM direction over a whole sequence (sequenceKernels.ts's SubflowLstmSequence):
   * projections [B,T,4H], recurrent [H,4H], initial [2,B,H], mask [B,T] → value [B·T·H + 2·B·H]
   * (outputs, final h, final c); gates [B,T,4H], cPrev and hPrev [B,T,H] kept for the gradient.
   */
  lstmSequence(
    projections: Float32Array,
    recurrent: Float32Array,
    initial: Float32Array,
    mask: Float32Array,
    value: Float32Array,
    gates: Float32Array | null,
    cPrev: Float32Array | null,
    hPrev: Float32Array | null,
    batch: number,
    time: number,
    units: number,
    reverse: boolean,
  ): void;
  /** Backpropagation through time of lstmSequence → dProjections [B,T,4H], dRecurrent [H,4H], dInitial [2,B,H]. */
  lstmSequenceGrad(
    dValue: Float32Array,
    gates: Float32Array,
    cPrev: Float32Array,
    hPrev: Float32Array,
    recurrent: Float32Array,
    mask: Float32Array,
    dProjections: Float32Array,
    dRecurrent: Float32Array,
    dInitial: Float32Array,
    batch: number,
    time: number,
    units: number,
    reverse: boolean,
  ): void;
  /** Label-smoothed cross-entropy per row and its gradient, as fusedKernels.ts's SubflowSmoothedXent. */
  smoothedXent(
    logits: Float32Array,
    targets: Int32Array,
    weights: Float32Array,
    loss: Float32Array,
    grad: Float32Array,
    rows: number,
    vocab: number,
    smoothing: number,
  ): void;
  /**
   * The output layer and its loss for training, as outputLossKernel.ts's SubflowOutputLoss: per
   * token the label-smoothed loss of logits = hidden·kernel + bias, and the gradients of their
   * sum w.r.t. hidden [tokens, units], kernel [units, vocab] and bias [vocab], `chunkRows` rows of
   * logits at a time.
   */
  outputLoss(
    hidden: Float32Array,
    kernel: Float32Array,
    bias: Float32Array,
    targets: Int32Array,
    weights: Float32Array,
    loss: Float32Array,
    dHidden: Float32Array,
    dKernel: Float32Array,
    dBias: Float32Array,
    tokens: number,
    units: number,
    vocab: number,
    smoothing: number,
    chunkRows: number,
  ): void;
  /**
   * Per row of logits [rows, cols]: the k best log-probabilities (logit − logsumexp, best first),
   * their columns and how many are filled (as searchInternals.ts's topKLogSoftmaxRows), and the
   * log-probability of column `extra`; outputs [rows·k], [rows·k], [rows], [rows].
   */
  topKLogSoftmax(
    logits: Float32Array,
    rows: number,
    cols: number,
    k: number,
    skip: number,
    extra: number,
    outIndices: Int32Array,
    outValues: Float32Array,
    outCounts: Int32Array,
    outExtra: Float32Array,
  ): void;
  /**
   * One decoding step of Luong general attention per row (decodeKernels.ts's SubflowAttentionStep):
   * query [rows, dim], keys [rows, srcLen, dim], values [rows, srcLen, valueDim], mask [rows, srcLen]
   * → combined [rows, valueDim + dim] = [context; query] and weights [rows, srcLen].
   */
  attentionStep(
    query: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    mask: Float32Array,
    combined: Float32Array,
    weights: Float32Array,
    rows: number,
    srcLen: number,
    dim: number,
    valueDim: number,
  ): void;
  /**
   * One decoder step of a one-layer Luong model in one call (decodeKernels.ts's SubflowDecoderStep):
   * 16 arrays, 7 sizes, the state's and the encoder's row of each row (each or null), then
   * optionally [W; U], W_c, W_o packed (packedKernels.ts) and the path.
   */
  decoderStep(ids: Int32Array, ...arraysSizesThenPacked: (Float32Array | Int32Array | number | null)[]): void;
  /**
   * One Adam update of one variable (fusedKernels.ts's SubflowAdam), split over the addon's
   * threads: w, g, m, v → wOut, mOut, vOut, all the same length.
   */
  adam(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    wOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    beta1: number,
    beta2: number,
    gradScale: number,
    stepSize: number,
    epsilon: number,
  ): void;
  /**
   * out = x·mask/keep over n elements, the mask a hash of (seed, index), so the same seed gives the
   * same mask (dropoutKernel.ts's SubflowDropout); seed an integer in [0, 2^53).
   */
  dropout(x: Float32Array, out: Float32Array, n: number, keep: number, seed: number): void;
  /** Σx² in double precision, the same for any thread count (fusedKernels.ts's SubflowSumOfSquares). */
  sumOfSquares(x: Float32Array): number;
  /** Element-wise tanh of x into out (out at least as long as x). */
  tanh(x: Float32Array, out: Float32Array): void;
  /** Row-wise log-softmax of x [rows, cols] into out. */
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Names of the CPU features OpenBLAS's kernel families need that this CPU and OS support (x86-64). */
  cpuFeatures(): string[];
  /**
   * Loads OpenBLAS (first call only) with `coretype` as OPENBLAS_CORETYPE while its constructor
   * runs, or with its own choice for null; true when cblas_sgemm is available.
   */
  loadBlas(coretype: string | null): boolean;
  /** OpenBLAS's state: config string, kernel family (core) and library file once loaded. */
  info(): {
    available: boolean;
    error: string;
    threads: number;
    config: string;
    core: string;
    library: string;
  };
  /** Products of awkward shapes against a double-precision loop (run it in a child process). */
  selfTest(): { passed: boolean; products: number; worst: number; failure: string };
  /** Threads for OpenBLAS and for the addon's own parallel loops (packed products, Adam). */
  setThreads(threads: number): void;
}

/** Whether OpenBLAS matmuls can run here, and a few words on why not or on what runs. */
export interface BlasStatus {
  available: boolean;
  /** e.g. "OpenBLAS 0.3.21 (Cooperlake kernels), 2 threads" or "addon subflow-native not built (…)". */
  description: string;
}

/** The addon when it loaded (its element-wise kernels work even without OpenBLAS), and the BLAS status. */
export interface NativeAddonLoad {
  addon: NativeAddon | undefined;
  status: BlasStatus;
}

let loaded: NativeAddonLoad | undefined;

/**
 * Loads the addon once. `SUBFLOW_NATIVE=off` (or 0/false/no) turns it off, for A/B runs and for
 * ruling it out when debugging.
 */
export function loadNativeAddon(): NativeAddonLoad {
  if (loaded) return loaded;
  const setting = (process.env.SUBFLOW_NATIVE ?? '').toLowerCase();
  if (['off', '0', 'false', 'no'].includes(setting)) {
    loaded = {
      addon: undefined,
      status: { available: false, description: 'native kernels turned off by SUBFLOW_NATIVE=off' },
    };
    return loaded;
  }
  let addon: NativeAddon;
  let addonPath: string;
  try {
    const require = createRequire(import.meta.url);
    addonPath = require.resolve('subflow-native');
    addon = require(addonPath) as NativeAddon;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'MODULE_NOT_FOUND'
        ? 'addon subflow-native not built; install a C compiler (g++ make python3), then run `npm rebuild subflow-native`'
        : `addon subflow-native failed to load: ${(error as Error).message.split('\n')[0]}`;
    loaded = { addon: undefined, status: { available: false, description: why } };
    return loaded;
  }
  // The kernel family is fixed when the library loads, so it is chosen first (openblasCore.ts).
  const features = addon.cpuFeatures();
  const cacheDir = defaultCacheDir();
  const cpu = cpuIdentity(features);
  const choice = decideCore({
    userCoretype: process.env.OPENBLAS_CORETYPE,
    features,
    detect: () => cachedProbe(cacheDir, cpu, undefined, () => probeCore(addonPath, undefined)),
    test: (core) => cachedProbe(cacheDir, cpu, core, () => probeCore(addonPath, core)),
  });
  addon.loadBlas(choice.coretype ?? null);
  const info = addon.info();
  const version = /OpenBLAS [\d.]+/.exec(info.config)?.[0] ?? 'OpenBLAS';
  loaded = {
    addon,
    status: info.available
      ? {
          available: true,
          description: `${version} (${choice.describe(info.core)}), ${info.threads} threads`,
        }
      : { available: false, description: `no OpenBLAS: ${info.error}; install libopenblas0` },
  };
  return loaded;
}

/** The addon's element-wise kernels, when it loaded and they are enabled (see setNativeKernelsEnabled). */
export function nativeKernels(): NativeAddon | undefined {
  return nativeEnabled ? loadNativeAddon().addon : undefined;
}

let nativeEnabled = true;

/** Turns the addon's element-wise kernels off (JS loops run instead) or back on; for tests comparing both. */
export function setNativeKernelsEnabled(enabled: boolean): void {
  nativeEnabled = enabled;
}
