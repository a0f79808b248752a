import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isSubflowError, SubflowError } from '../errors.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID } from '../types.js';

/** Options of {@link trainSentencePiece}. */
export interface SentencePieceTrainOptions {
  /** Text files, one sentence per line (`.gz` is decompressed first). Give this or `sentences`. */
  inputFiles?: readonly string[];
  /** Sentences to train on, streamed to a temporary file (newlines inside a sentence become spaces). */
  sentences?: Iterable<string> | AsyncIterable<string>;
  /** Output path without extension: `runs/es-en/source` writes `source.model` and `source.vocab`. */
  modelPrefix: string;
  /** Pieces in the vocabulary, the four special ids included. */
  vocabSize: number;
  /** `unigram` (Kudo 2018) or `bpe`. Default `unigram`. */
  modelType?: 'unigram' | 'bpe';
  /**
   * Share of characters the vocabulary must cover; rarer characters become UNK. Default 1.0, what
   * SentencePiece recommends for small alphabets such as Spanish and English: on the bundled Bible
   * corpus spm_train's own default 0.9995 turns `k`, `ü` and capital `U` into UNK, so 4.9% of the
   * verses no longer decode to themselves (0% with 1.0). Use ~0.9995 for CJK-sized alphabets, or
   * `byteFallback` to keep rare characters as bytes.
   */
  characterCoverage?: number;
  /** Train on a random sample of this many sentences (0 = all). Default 0. */
  inputSentenceSize?: number;
  /** Seed of spm_train's sampling and training randomness. Default 1. */
  seed?: number;
  /** Training threads. Default: the machine's available parallelism. */
  numThreads?: number;
  /** Spell unknown characters as UTF-8 byte pieces instead of UNK. Default false. */
  byteFallback?: boolean;
  /** spm_train's normalisation rule, stored in the model and applied when encoding. Default `nmt_nfkc`. */
  normalizationRule?: 'nmt_nfkc' | 'nfkc' | 'identity';
  /** Kills spm_train and removes its partial output when aborted. */
  signal?: AbortSignal;
  /** Receives each line spm_train logs (for progress). */
  onLog?: (line: string) => void;
  /** The spm_train executable. Default `spm_train` from PATH. */
  spmTrain?: string;
}

/** How many trailing stderr lines an error message quotes. */
const STDERR_TAIL_LINES = 12;

const SETUP_HINT = 'run scripts/setup.sh (installs the sentencepiece package that provides spm_train)';

/**
 * Trains a SentencePiece model with the system `spm_train` and resolves with the `.model` path.
 * Special ids are always PAD 0, BOS 1, EOS 2, UNK 3 (`<pad>`, `<s>`, `</s>`, `<unk>`), which the
 * model code relies on. Output is written under a temporary prefix next to the target and renamed
 * into place only when spm_train succeeds, so a failed or aborted run never leaves a half-written
 * model where a finished one is expected.
 *
 * @example await trainSentencePiece({ inputFiles: ['train.es'], modelPrefix: 'models/es', vocabSize: 8000 })
 */
export async function trainSentencePiece(options: SentencePieceTrainOptions): Promise<string> {
  validateOptions(options);
  const target = resolve(options.modelPrefix);
  const tempPrefix = join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(dirname(target), { recursive: true }).catch((cause: unknown) => {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot create the folder of ${target}`, {
      file: target,
      cause,
      hint: 'check the modelPrefix path and its permissions',
    });
  });
  const scratch = await mkdtemp(join(tmpdir(), 'subflow-spm-'));
  try {
    const inputs = await prepareInputs(options, scratch);
    await runSpmTrain(spmArguments(options, inputs, tempPrefix), options);
    await rename(`${tempPrefix}.vocab`, `${target}.vocab`);
    await rename(`${tempPrefix}.model`, `${target}.model`);
    return `${target}.model`;
  } catch (error) {
    // An abort can surface as a stream AbortError while inputs are still being written.
    if (options.signal?.aborted && !isSubflowError(error)) throw interrupted();
    throw error;
  } finally {
    await Promise.all([
      rm(scratch, { recursive: true, force: true }),
      rm(`${tempPrefix}.model`, { force: true }),
      rm(`${tempPrefix}.vocab`, { force: true }),
    ]);
  }
}

function validateOptions(options: SentencePieceTrainOptions): void {
  const bad = (key: string, message: string): never => {
    throw new SubflowError('BAD_ARGUMENT', `trainSentencePiece: ${key} ${message}`, { key });
  };
  if ((options.inputFiles === undefined) === (options.sentences === undefined)) {
    bad('inputFiles', 'or sentences must be given (exactly one of them)');
  }
  if (options.inputFiles?.length === 0) bad('inputFiles', 'is empty: name at least one corpus file');
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= 4) {
    bad('vocabSize', `must be an integer above 4 (the special pieces), got ${options.vocabSize}`);
  }
  const coverage = options.characterCoverage ?? 1;
  if (!(coverage > 0 && coverage <= 1)) bad('characterCoverage', `must be in (0, 1], got ${coverage}`);
  if (!options.modelPrefix) bad('modelPrefix', 'must be a path such as runs/es-en/source');
  for (const file of options.inputFiles ?? []) {
    // spm_train's --input is comma-separated; such a name cannot be passed through safely.
    if (file.includes(',')) bad('inputFiles', `entry ${file} contains a comma, which spm_train cannot read`);
  }
}

/** Resolves to the files spm_train reads: plain inputs as they are, everything else in `scratch`. */
async function prepareInputs(options: SentencePieceTrainOptions, scratch: string): Promise<string[]> {
  if (options.sentences !== undefined) {
    const file = join(scratch, 'sentences.txt');
    const written = await writeSentences(options.sentences, file, options.signal);
    if (written === 0) {
      throw new SubflowError('CORPUS_EMPTY', 'trainSentencePiece: no non-empty sentence to train on', {
        hint: 'check that the corpus stage before the tokenizer produced text',
      });
    }
    return [file];
  }
  const files: string[] = [];
  for (const [index, file] of (options.inputFiles ?? []).entries()) {
    await assertFile(file);
    if (!file.endsWith('.gz')) {
      files.push(resolve(file));
      continue;
    }
    const plain = join(scratch, `input-${index}.txt`);
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(plain), {
      signal: options.signal,
    });
    files.push(plain);
  }
  return files;
}

/** Streams sentences into `file`, one per line, honouring write backpressure; returns how many. */
async function writeSentences(
  sentences: Iterable<string> | AsyncIterable<string>,
  file: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    for await (const sentence of sentences) {
      signal?.throwIfAborted();
      const line = sentence.replace(/[\r\n]+/g, ' ').trim();
      if (line.length === 0) continue;
      count += 1;
      yield `${line}\n`;
    }
  }
  await pipeline(lines(), createWriteStream(file), { signal });
  return count;
}

async function assertFile(file: string): Promise<void> {
  const info = await stat(file).catch((cause: unknown) => {
    throw new SubflowError('FILE_NOT_FOUND', `tokenizer training input ${file} does not exist`, {
      file,
      cause,
      hint: 'check the path of the corpus file',
    });
  });
  if (!info.isFile()) throw new SubflowError('FILE_UNREADABLE', `${file} is not a file`, { file });
}

function spmArguments(
  options: SentencePieceTrainOptions,
  inputs: readonly string[],
  prefix: string,
): string[] {
  const inputSentenceSize = options.inputSentenceSize ?? 0;
  return [
    `--input=${inputs.join(',')}`,
    `--model_prefix=${prefix}`,
    `--vocab_size=${options.vocabSize}`,
    `--model_type=${options.modelType ?? 'unigram'}`,
    `--character_coverage=${options.characterCoverage ?? 1}`,
    `--input_sentence_size=${inputSentenceSize}`,
    `--shuffle_input_sentence=${inputSentenceSize > 0}`,
    `--random_seed=${options.seed ?? 1}`,
    `--num_threads=${options.numThreads ?? availableParallelism()}`,
    `--byte_fallback=${options.byteFallback ?? false}`,
    `--normalization_rule_name=${options.normalizationRule ?? 'nmt_nfkc'}`,
    `--pad_id=${PAD_ID}`,
    `--bos_id=${BOS_ID}`,
    `--eos_id=${EOS_ID}`,
    `--unk_id=${UNK_ID}`,
    '--pad_piece=<pad>',
    '--bos_piece=<s>',
    '--eos_piece=</s>',
    '--unk_piece=<unk>',
  ];
}

/** Runs spm_train without a shell; rejects with TOOL_MISSING, TOOL_FAILED or INTERRUPTED. */
function runSpmTrain(args: string[], options: SentencePieceTrainOptions): Promise<void> {
  const executable = options.spmTrain ?? 'spm_train';
  const { signal } = options;
  return new Promise<void>((resolvePromise, reject) => {
    if (signal?.aborted) {
      reject(interrupted());
      return;
    }
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const keepLine = (line: string): void => {
      options.onLog?.(line);
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.filter((line) => line.length > 0).forEach(keepLine);
    });
    child.stdout.resume();
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') {
        reject(
          new SubflowError('TOOL_MISSING', `${executable} is not installed (not found on PATH)`, {
            cause: error,
            hint: SETUP_HINT,
          }),
        );
      } else {
        reject(
          new SubflowError('TOOL_FAILED', `cannot start ${executable}: ${error.message}`, { cause: error }),
        );
      }
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (partial) keepLine(partial);
      if (signal?.aborted) reject(interrupted());
      else if (code === 0) resolvePromise();
      else reject(spmFailure(executable, code, killedBy, tail));
    });
  });
}

function interrupted(): SubflowError {
  return new SubflowError('INTERRUPTED', 'tokenizer training was aborted; no model was written');
}

// The most pieces spm_train could make, kept with the error that reports it (see supportedVocabSize).
const vocabLimits = new WeakMap<object, number>();

/**
 * The largest vocabSize the training text supports, when `error` is trainSentencePiece's "vocabSize
 * too large" failure; undefined for any other error. Lets a caller training several models (source and
 * target) give the limit that fits them all.
 */
export function supportedVocabSize(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? vocabLimits.get(error) : undefined;
}

/** Turns spm_train's last stderr lines into an error a user can act on. */
function spmFailure(
  executable: string,
  code: number | null,
  killedBy: NodeJS.Signals | null,
  tail: readonly string[],
): SubflowError {
  const stderr = tail.join('\n');
  const tooHigh = /Vocabulary size (?:is )?too high \((\d+)\)\. Please set it to a value <= (\d+)/.exec(
    stderr,
  );
  if (tooHigh) {
    const error = new SubflowError(
      'TOOL_FAILED',
      `vocabSize ${tooHigh[1]} is too large for this training text: it only supports up to ${tooHigh[2]} pieces`,
      {
        key: 'vocabSize',
        hint: `set vocabSize to ${tooHigh[2]} or less, or train on more text`,
      },
    );
    vocabLimits.set(error, Number(tooHigh[2]));
    return error;
  }
  const how = killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`;
  return new SubflowError('TOOL_FAILED', `${executable} ${how}:\n${stderr}`, {
    hint: 'the lines above are the end of its log; check the input files and options they name',
  });
}
