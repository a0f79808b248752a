import type { AdamState } from './optimizer.js';
import type { ScheduleState } from './schedule.js';
import { SubflowError } from '../errors.js';
import { dequantize, quantizeVariable, type QuantizedMatrix } from './quantize.js';

/** Value of `model.json` → `format`; anything else is a foreign folder. */
export const CHECKPOINT_FORMAT = 'subflow-checkpoint';
/** Highest `model.json` version this code reads. */
export const CHECKPOINT_VERSION = 1;

/** How a tensor is stored in a `.bin` file: dtype on disk, and where its bytes are. */
export interface TensorEntry {
  name: string;
  shape: number[];
  /** Storage type; float16 is widened back to float32 on load; int8 see quantize.ts. */
  dtype: 'float32' | 'float16' | 'int8';
  /** Byte offset in the `.bin` file. */
  offset: number;
  byteLength: number;
  /** int8 only: the values are stored as the transpose [shape[1], shape[0]] (one row per output). */
  transposed?: boolean;
  /** int8 only: byte offset of the float32 scales, one per stored row. */
  scalesOffset?: number;
}

/** Storage types of `weights.bin`: int8 quantises every matrix and keeps vectors float32. */
export type WeightsDtype = 'float32' | 'float16' | 'int8';

/** What the training run knew when the checkpoint was written (informational). */
export interface TrainingMetadata {
  step: number;
  epoch: number;
  /** Best validation score so far and the metric it is in, when validation ran. */
  bestScore?: number | null;
  bestMetric?: 'loss' | 'bleu' | 'chrf';
  /** ISO 8601 time of writing. */
  date?: string;
  /** tfjs backend that trained it. */
  backend?: string;
  /** Free-form description of the training data (corpus names, sizes). */
  data?: string;
}

/** The language pair a model translates, as ISO 639-1 codes (`es` → `en`). */
export interface ModelLanguages {
  source: string;
  target: string;
}

/** The contents of `model.json`: everything needed to rebuild the network and check its weights. */
export interface ModelJson {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** The model's config object (ModelConfig), stored as given. */
  modelConfig: object;
  /** What it translates from and into; absent in folders written before subflow recorded it. */
  languages?: ModelLanguages;
  /** File names, inside the folder, of the SentencePiece models; absent when none were given. */
  tokenizers?: { source: string; target: string };
  weights: TensorEntry[];
  /** Hex sha256 of `weights.bin`. */
  weightsSha256: string;
  /** Share of exact zeros in the weight matrices, when any (a pruned model). */
  sparsity?: number;
  training?: TrainingMetadata;
}

/**
 * Everything besides the weights that a resumed run needs to continue exactly (`trainer.json`;
 * the optimizer's moments live in `optimizer.bin`). All randomness in training is derived from
 * `seed` with the step (dropout) or the epoch (data order), so `seed` is the whole RNG state.
 */
export interface ResumeState {
  /** Training steps completed. */
  step: number;
  /** 1-based epoch in progress. */
  epoch: number;
  /** Batches of `epoch` already trained on: a resumed run skips this many. */
  batchesInEpoch: number;
  seed: number;
  schedule: ScheduleState;
  /** Best validation score and the step it was reached at; null before the first validation. */
  bestScore: number | null;
  bestStep: number | null;
  /** Validations in a row without improvement (early stopping). */
  badValidations: number;
  /** Step of the last completed validation (-1 for none), so an interrupted one is redone. */
  lastValidatedStep?: number;
  /** Training wall time so far, over all runs. */
  elapsedMs: number;
  optimizer: AdamState;
  /** Pruning masks (1 keep, 0 pruned), stored in `optimizer.bin` as NAME/mask. */
  pruneMasks?: { name: string; shape: number[]; values: Float32Array }[];
}

/** `trainer.json`: ResumeState without the moment arrays, plus the `optimizer.bin` manifest. */
export interface TrainerJson extends Omit<ResumeState, 'optimizer' | 'pruneMasks'> {
  format: 'subflow-trainer';
  version: number;
  optimizer: { step: number; slots: TensorEntry[]; sha256: string };
}

/**
 * Packs named float32 arrays one after another into one little-endian buffer. With int8, every
 * 2-D array is quantised (int8 values, then its float32 scales; taken from `quantized` when it has
 * the name, else rounded per row) and the others stay float32.
 * @returns the bytes and the manifest describing where each array lies
 */
export function packTensors(
  tensors: { name: string; shape: number[]; values: Float32Array }[],
  dtype: WeightsDtype,
  quantized?: ReadonlyMap<string, QuantizedMatrix>,
): { bytes: Uint8Array; entries: TensorEntry[] } {
  const pieces: { entry: TensorEntry; write: (view: DataView, bytes: Uint8Array) => void }[] = [];
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    if (dtype === 'int8' && shape.length === 2) {
      const matrix = quantized?.get(name) ?? quantizeVariable(name, shape, values);
      if (matrix.n * matrix.k !== values.length)
        throw new Error(`packTensors: ${name} is quantised at another shape`);
      const at = offset;
      const scalesOffset = align4(at + matrix.data.length);
      pieces.push({
        entry: {
          name,
          shape: shape.slice(),
          dtype: 'int8',
          offset: at,
          byteLength: matrix.data.length,
          transposed: matrix.transposed,
          scalesOffset,
        },
        write: (view, bytes) => {
          bytes.set(new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.length), at);
          for (let i = 0; i < matrix.n; i++) view.setFloat32(scalesOffset + 4 * i, matrix.scales[i], true);
        },
      });
      offset = align4(scalesOffset + 4 * matrix.n);
      continue;
    }
    const stored = dtype === 'float16' ? 'float16' : 'float32';
    const width = stored === 'float16' ? 2 : 4;
    const at = offset;
    pieces.push({
      entry: { name, shape: shape.slice(), dtype: stored, offset: at, byteLength: values.length * width },
      write: (view, bytes) => {
        if (stored === 'float32' && LITTLE_ENDIAN) {
          bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at); // memcpy
          return;
        }
        for (let i = 0; i < values.length; i++) {
          if (stored === 'float16') view.setUint16(at + 2 * i, float32ToFloat16(values[i]), true);
          else view.setFloat32(at + 4 * i, values[i], true);
        }
      },
    });
    offset = dtype === 'int8' ? align4(at + values.length * width) : at + values.length * width;
  }
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  for (const piece of pieces) piece.write(view, bytes);
  return { bytes, entries: pieces.map((p) => p.entry) };
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Reads the arrays `entries` describe out of `bytes`, widening float16 to float32 and
 * dequantising int8 (whose int8 form also goes into `quantized`, when given, by name).
 * @throws SubflowError CHECKPOINT_CORRUPT when an entry lies outside the file or disagrees with its shape
 */
export function unpackTensors(
  bytes: Uint8Array,
  entries: TensorEntry[],
  file: string,
  quantized?: Map<string, QuantizedMatrix>,
): Map<string, Float32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Float32Array>();
  for (const entry of entries) {
    const width = entry.dtype === 'float16' ? 2 : entry.dtype === 'int8' ? 1 : 4;
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.dtype !== 'float32' && entry.dtype !== 'float16' && entry.dtype !== 'int8')
      corrupt(file, `${entry.name} has unsupported dtype "${entry.dtype as string}"`);
    if (entry.byteLength !== size * width)
      corrupt(
        file,
        `${entry.name} has ${entry.byteLength} bytes but shape [${entry.shape}] needs ${size * width}`,
      );
    if (entry.offset < 0 || entry.offset + entry.byteLength > bytes.byteLength)
      corrupt(
        file,
        `${entry.name} ends at byte ${entry.offset + entry.byteLength} but the file has ${bytes.byteLength}`,
      );
    if (entry.dtype === 'int8') {
      const matrix = readInt8(bytes, view, entry, file);
      quantized?.set(entry.name, matrix);
      out.set(entry.name, dequantize(matrix));
      continue;
    }
    if (width === 4 && LITTLE_ENDIAN) {
      const start = bytes.byteOffset + entry.offset;
      // A view shares the file's buffer (no copy) where alignment allows; otherwise copy the bytes.
      const values =
        start % 4 === 0
          ? new Float32Array(bytes.buffer, start, size)
          : new Float32Array(bytes.buffer.slice(start, start + entry.byteLength));
      out.set(entry.name, values);
      continue;
    }
    const values = new Float32Array(size);
    const table = width === 2 ? halfTable() : undefined;
    for (let i = 0; i < size; i++) {
      values[i] = table
        ? table[view.getUint16(entry.offset + 2 * i, true)]
        : view.getFloat32(entry.offset + 4 * i, true);
    }
    out.set(entry.name, values);
  }
  return out;
}

/** An int8 entry's values and scales, after checking it is a matrix whose scales lie inside the file. */
function readInt8(bytes: Uint8Array, view: DataView, entry: TensorEntry, file: string): QuantizedMatrix {
  if (entry.shape.length !== 2) corrupt(file, `${entry.name} is int8 but not a matrix ([${entry.shape}])`);
  const transposed = entry.transposed === true;
  const [n, k] = transposed ? [entry.shape[1], entry.shape[0]] : entry.shape;
  const scalesOffset = entry.scalesOffset;
  if (typeof scalesOffset !== 'number' || scalesOffset < 0 || scalesOffset + 4 * n > bytes.byteLength)
    corrupt(file, `${entry.name}'s ${n} scales do not lie inside the file (scalesOffset ${scalesOffset})`);
  const data = new Int8Array(
    bytes.buffer.slice(bytes.byteOffset + entry.offset, bytes.byteOffset + entry.offset + n * k),
  );
  const scales = new Float32Array(n);
  for (let i = 0; i < n; i++) scales[i] = view.getFloat32(scalesOffset + 4 * i, true);
  return { n, k, data, scales, transposed };
}

/** The files are little-endian; on such hosts (nearly all) float32 data is copied, not converted. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes a manifest needs: the end of its last entry. */
export function manifestBytes(entries: TensorEntry[]): number {
  return entries.reduce((end, e) => {
    const scaleRows = e.dtype === 'int8' ? (e.transposed ? e.shape[1] : e.shape[0]) : 0;
    return Math.max(
      end,
      e.offset + e.byteLength,
      e.scalesOffset === undefined ? 0 : e.scalesOffset + 4 * scaleRows,
    );
  }, 0);
}

/** Throws CHECKPOINT_CORRUPT for `file` with a hint to use another checkpoint. */
export function corrupt(file: string, problem: string, cause?: unknown): never {
  throw new SubflowError('CHECKPOINT_CORRUPT', `${file} is damaged: ${problem}`, {
    file,
    cause,
    hint: 'the checkpoint was damaged after writing; use another checkpoint (e.g. best/ or an older step-N/)',
  });
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half precision bits of `value`, rounded to nearest even; overflow becomes ±Infinity. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mantissa |= 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (half + (rest > halfway || (rest === halfway && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and can reach Infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0));
}

let halfValues: Float32Array | undefined;

/** float16ToFloat32 of all 65,536 bit patterns, built on first use: decoding becomes a lookup. */
function halfTable(): Float32Array {
  if (halfValues === undefined) {
    halfValues = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfValues[bits] = float16ToFloat32(bits);
  }
  return halfValues;
}

/** The float value of IEEE 754 half precision bits. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
