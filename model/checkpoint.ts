import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  corrupt,
  manifestBytes,
  packTensors,
  unpackTensors,
  type ModelJson,
  type ModelLanguages,
  type ResumeState,
  type TrainerJson,
  type TrainingMetadata,
  type WeightsDtype,
} from './checkpointFormat.js';
import type { QuantizedMatrix } from './quantize.js';
import { matrixSparsity } from './pruning.js';
import { previousFolderOf, writeFolderAtomically, type FolderFile } from './checkpointFolder.js';

/** What a checkpoint stores of a model: its config and named variables (Seq2Seq satisfies this). */
export interface CheckpointModel {
  readonly config: object;
  readonly variables: Map<string, tf.Variable>;
}

/** What to put in a checkpoint besides the weights. */
export interface SaveCheckpointOptions {
  /** Paths of the SentencePiece `.model` files to copy in as `source.model` / `target.model`. */
  tokenizers?: { source: string; target: string };
  /** The language pair, ISO 639-1 (callers normalise user input; see subtitles/mediaLanguages.ts). */
  languages?: ModelLanguages;
  /** Storage type of `weights.bin`; float16 halves the size, int8 quarters it (quantize.ts). Default float32. */
  weightsDtype?: WeightsDtype;
  /** int8 only: matrices already quantised (e.g. calibrated, see calibration.ts), by variable name. */
  quantized?: ReadonlyMap<string, QuantizedMatrix>;
  /** Informational training metadata for `model.json`. */
  training?: TrainingMetadata;
  /** When given, also writes `trainer.json` and `optimizer.bin` so training can resume. */
  resume?: ResumeState;
}

/** A checkpoint read from disk and verified (format, version, hashes, sizes). */
export interface Checkpoint {
  /** The folder actually read: the one asked for, or its `.previous` sibling after an interrupted save. */
  dir: string;
  model: ModelJson;
  /** Weights widened to float32 (int8 ones dequantised), by variable name. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  /** The int8 matrices of an int8 checkpoint as stored, by variable name (empty for float ones). */
  quantized: Map<string, QuantizedMatrix>;
  /** Absolute paths of the tokenizer models in the folder, when it has them. */
  tokenizerPaths?: { source: string; target: string };
  /** Training state, when loaded with `{ resume: true }`. */
  resume?: ResumeState;
}

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const TRAINER_JSON = 'trainer.json';
const OPTIMIZER_BIN = 'optimizer.bin';

/**
 * Writes `model` (and optionally its training state) as one self-contained checkpoint folder,
 * atomically: an interrupted save leaves the previous checkpoint, never a broken one. Reads the
 * variables with dataSync, so it works on every backend. Synchronous: see writeFolderAtomically.
 * @throws SubflowError OUTPUT_NOT_WRITABLE, FILE_NOT_FOUND (a tokenizer file to copy is missing)
 */
export function saveCheckpoint(
  dir: string,
  model: CheckpointModel,
  options: SaveCheckpointOptions = {},
): void {
  const tensors = [...model.variables].map(([name, variable]) => ({
    name,
    shape: variable.shape.slice(),
    values: variable.dataSync() as Float32Array,
  }));
  const weights = packTensors(tensors, options.weightsDtype ?? 'float32', options.quantized);
  const sparsity = matrixSparsity(tensors);
  const modelJson: ModelJson = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    modelConfig: model.config,
    ...(options.languages ? { languages: checkLanguages(options.languages, dir) } : {}),
    ...(options.tokenizers ? { tokenizers: { source: 'source.model', target: 'target.model' } } : {}),
    weights: weights.entries,
    weightsSha256: sha256(weights.bytes),
    ...(sparsity > 0 ? { sparsity } : {}),
    ...(options.training ? { training: { date: new Date().toISOString(), ...options.training } } : {}),
  };
  const files: FolderFile[] = [
    { name: MODEL_JSON, bytes: jsonBytes(modelJson) },
    { name: WEIGHTS_BIN, bytes: weights.bytes },
  ];
  if (options.tokenizers) {
    for (const [side, file] of Object.entries(options.tokenizers)) {
      if (!fs.existsSync(file)) {
        throw new SubflowError('FILE_NOT_FOUND', `${side} tokenizer ${file} does not exist`, {
          file,
          hint: 'a checkpoint must contain both SentencePiece models; train the tokenizer first',
        });
      }
      files.push({ name: `${side}.model`, copyFrom: file });
    }
  }
  if (options.resume) {
    const { optimizer, pruneMasks, ...rest } = options.resume;
    const moments = packTensors(
      [
        ...optimizer.slots.flatMap((slot) => [
          { name: `${slot.name}/m`, shape: slot.shape, values: slot.m },
          { name: `${slot.name}/v`, shape: slot.shape, values: slot.v },
        ]),
        ...(pruneMasks ?? []).map((mask) => ({ ...mask, name: `${mask.name}/mask` })),
      ],
      'float32',
    );
    const trainerJson: TrainerJson = {
      format: 'subflow-trainer',
      version: CHECKPOINT_VERSION,
      ...rest,
      optimizer: { step: optimizer.step, slots: moments.entries, sha256: sha256(moments.bytes) },
    };
    files.push(
      { name: OPTIMIZER_BIN, bytes: moments.bytes },
      { name: TRAINER_JSON, bytes: jsonBytes(trainerJson) },
    );
  }
  writeFolderAtomically(dir, files, (existing) => fs.existsSync(path.join(existing, MODEL_JSON)));
}

/**
 * Reads and verifies a checkpoint folder. Falls back to the `.previous` sibling when a save was
 * killed between its two renames.
 * @param options.resume also read `trainer.json` + `optimizer.bin` (for resuming training)
 * @throws SubflowError FILE_NOT_FOUND (no folder, or no trainer.json when resuming), MODEL_INVALID
 *   (not a subflow checkpoint, or a newer version), CHECKPOINT_CORRUPT (bad JSON, hash, size)
 */
export function loadCheckpoint(dir: string, options: { resume?: boolean } = {}): Checkpoint {
  const folder = locateFolder(dir);
  const modelFile = path.join(folder, MODEL_JSON);
  if (!fs.existsSync(modelFile)) {
    throw new SubflowError('MODEL_INVALID', `${dir} is not a subflow checkpoint (it has no model.json)`, {
      file: dir,
      hint: checkpointHint(dir),
    });
  }
  const model = readJson(modelFile) as Partial<ModelJson>;
  if (model.format !== CHECKPOINT_FORMAT) {
    throw new SubflowError(
      'MODEL_INVALID',
      `${modelFile} is not a subflow checkpoint (format "${model.format}")`,
      {
        file: modelFile,
        hint: `expected format "${CHECKPOINT_FORMAT}"; models from other toolkits cannot be loaded`,
      },
    );
  }
  if (typeof model.version !== 'number' || model.version > CHECKPOINT_VERSION) {
    throw new SubflowError(
      'MODEL_INVALID',
      `${modelFile} has version ${model.version}; this subflow reads up to ${CHECKPOINT_VERSION}`,
      {
        file: modelFile,
        hint: 'upgrade subflow to load this checkpoint',
      },
    );
  }
  if (
    !Array.isArray(model.weights) ||
    typeof model.weightsSha256 !== 'string' ||
    typeof model.modelConfig !== 'object'
  )
    corrupt(modelFile, 'weights manifest, weightsSha256 or modelConfig is missing');
  const full = model as ModelJson;
  if (full.languages !== undefined) checkLanguages(full.languages, modelFile);
  const quantized = new Map<string, QuantizedMatrix>();
  const values = readVerified(path.join(folder, WEIGHTS_BIN), full.weights, full.weightsSha256, quantized);
  const weights = new Map(full.weights.map((e) => [e.name, { shape: e.shape, values: values.get(e.name)! }]));
  const checkpoint: Checkpoint = { dir: folder, model: full, weights, quantized };
  if (full.tokenizers) {
    const source = path.join(folder, full.tokenizers.source);
    const target = path.join(folder, full.tokenizers.target);
    for (const file of [source, target]) if (!fs.existsSync(file)) corrupt(file, 'the file is missing');
    checkpoint.tokenizerPaths = { source, target };
  }
  if (options.resume) checkpoint.resume = readResumeState(folder);
  return checkpoint;
}

/**
 * The language pair a checkpoint folder records, read from its model.json alone (no weights), for
 * choices made before the slower full load; undefined when it records none or cannot be read, in
 * which case the full load that follows (loadCheckpoint) reports what is wrong with the folder.
 */
export function readModelLanguages(dir: string): ModelLanguages | undefined {
  try {
    const model = readJson(path.join(locateFolder(dir), MODEL_JSON)) as Partial<ModelJson>;
    return model.languages === undefined ? undefined : checkLanguages(model.languages, dir);
  } catch {
    return undefined;
  }
}

/**
 * Copies a checkpoint's weights into `model`'s variables after checking that both have exactly the
 * same variable names and shapes.
 * @throws SubflowError MODEL_MISMATCH listing every missing, extra or differently shaped variable
 */
export function assignWeights(model: CheckpointModel, checkpoint: Checkpoint): void {
  const problems: string[] = [];
  for (const [name, variable] of model.variables) {
    const saved = checkpoint.weights.get(name);
    if (saved === undefined) problems.push(`${name} [${variable.shape}] is missing from the checkpoint`);
    else if (saved.shape.join() !== variable.shape.join())
      problems.push(`${name} is [${saved.shape}] in the checkpoint but [${variable.shape}] in the model`);
  }
  for (const [name, saved] of checkpoint.weights)
    if (!model.variables.has(name))
      problems.push(`${name} [${saved.shape}] is in the checkpoint but not in the model`);
  if (problems.length > 0) {
    const shown =
      problems.slice(0, 8).join('; ') + (problems.length > 8 ? `; and ${problems.length - 8} more` : '');
    throw new SubflowError(
      'MODEL_MISMATCH',
      `checkpoint ${checkpoint.dir} does not fit this model: ${shown}`,
      {
        file: checkpoint.dir,
        hint: "build the model from the checkpoint's modelConfig, or resume with the configuration it was trained with",
      },
    );
  }
  tf.tidy(() => {
    for (const [name, variable] of model.variables) {
      variable.assign(tf.tensor(checkpoint.weights.get(name)!.values, variable.shape, 'float32'));
    }
  });
}

/** Returns `languages` when it is two ISO 639-1 codes, else throws MODEL_INVALID naming `where`. */
function checkLanguages(languages: unknown, where: string): ModelLanguages {
  const pair = languages as Partial<Record<string, unknown>> | null;
  const isCode = (value: unknown): boolean => typeof value === 'string' && /^[a-z]{2}$/.test(value);
  if (typeof pair !== 'object' || pair === null || !isCode(pair.source) || !isCode(pair.target)) {
    throw new SubflowError(
      'MODEL_INVALID',
      `${where}: languages must be { "source": "xx", "target": "yy" } with ISO 639-1 codes, got ${JSON.stringify(languages)}`,
      {
        file: where,
        key: 'languages',
        hint: 'fix it, or rewrite the folder with `subflow export-model FROM TO --source-lang es --target-lang en`',
      },
    );
  }
  return { source: pair.source as string, target: pair.target as string };
}

/** What to pass instead of `dir`: its run's best checkpoint when `dir` is a run or checkpoints folder. */
function checkpointHint(dir: string): string {
  for (const candidate of [path.join(dir, 'checkpoints', 'best'), path.join(dir, 'best')]) {
    if (fs.existsSync(path.join(candidate, MODEL_JSON))) return `did you mean ${candidate}?`;
  }
  const last = path.join(path.dirname(dir), 'last');
  if (path.basename(dir) === 'best' && fs.existsSync(path.join(last, MODEL_JSON))) {
    return `this run has no best/ (it is written at validations, so the config needs a dev split): use ${last}`;
  }
  return 'pass a checkpoint folder: runs/NAME/checkpoints/best (or last, step-NNNNNNN) of a training run, or an exported model';
}

function locateFolder(dir: string): string {
  if (fs.existsSync(dir)) return dir;
  const previous = previousFolderOf(path.resolve(dir));
  if (fs.existsSync(path.join(previous, MODEL_JSON))) return previous;
  throw new SubflowError('FILE_NOT_FOUND', `checkpoint folder ${dir} does not exist`, {
    file: dir,
    hint: checkpointHint(dir),
  });
}

function readResumeState(folder: string): ResumeState {
  const trainerFile = path.join(folder, TRAINER_JSON);
  if (!fs.existsSync(trainerFile)) {
    throw new SubflowError(
      'FILE_NOT_FOUND',
      `${folder} has no trainer.json, so training cannot resume from it`,
      {
        file: trainerFile,
        hint: 'resume from last/ or a step-N/ folder; best/ holds only the weights',
      },
    );
  }
  const trainer = readJson(trainerFile) as TrainerJson;
  if (trainer.format !== 'subflow-trainer' || !Array.isArray(trainer.optimizer?.slots))
    corrupt(trainerFile, 'not a subflow trainer state (format or optimizer manifest missing)');
  const moments = readVerified(
    path.join(folder, OPTIMIZER_BIN),
    trainer.optimizer.slots,
    trainer.optimizer.sha256,
  );
  const { format: _format, version: _version, optimizer, ...rest } = trainer;
  const names = optimizer.slots.filter((e) => e.name.endsWith('/m')).map((e) => e.name.slice(0, -2));
  const slots = names.map((name) => {
    const m = moments.get(`${name}/m`);
    const v = moments.get(`${name}/v`);
    if (m === undefined || v === undefined)
      corrupt(trainerFile, `optimizer moments of ${name} are incomplete`);
    return { name, shape: optimizer.slots.find((e) => e.name === `${name}/m`)!.shape, m, v };
  });
  const pruneMasks = optimizer.slots
    .filter((e) => e.name.endsWith('/mask'))
    .map((e) => ({ name: e.name.slice(0, -'/mask'.length), shape: e.shape, values: moments.get(e.name)! }));
  return {
    ...rest,
    optimizer: { step: optimizer.step, slots },
    ...(pruneMasks.length > 0 ? { pruneMasks } : {}),
  };
}

/** Reads a `.bin` file, checks its size against the manifest and its sha256, and unpacks it. */
function readVerified(
  file: string,
  entries: ModelJson['weights'],
  expectedSha256: string,
  quantized?: Map<string, QuantizedMatrix>,
): Map<string, Float32Array> {
  if (!fs.existsSync(file)) corrupt(file, 'the file is missing');
  const bytes = fs.readFileSync(file);
  const needed = manifestBytes(entries);
  if (bytes.byteLength < needed)
    corrupt(file, `truncated: ${bytes.byteLength} bytes, the manifest needs ${needed}`);
  const actual = sha256(bytes);
  if (actual !== expectedSha256) corrupt(file, `sha256 is ${actual}, expected ${expectedSha256}`);
  return unpackTensors(bytes, entries, file, quantized);
}

function readJson(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    return corrupt(file, `invalid JSON (${(error as Error).message})`, error);
  }
}

function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
