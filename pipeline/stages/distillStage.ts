import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bufferCount, concatMap, defer, from, lastValueFrom, type Observable, tap } from 'rxjs';
import { z } from 'zod';
import { isSubflowError, SubflowError } from '../../errors.js';
import type { FlowGate } from '../../flowGate.js';
import type { BackendName } from '../../model/backend.js';
import { resolveModelDir } from '../../model/defaultModel.js';
import { decodingSettingsOf, translateSentences } from '../../model/translateSentences.js';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { readLines } from '../../text/lines.js';
import { writeTextFile } from '../../text/textOutput.js';
import type { SentencePair } from '../../types.js';
import type { PipelineContext } from '../context.js';
import { registerStage } from '../registry.js';
import { DECODING_STAGE_OPTIONS } from './decodingOptions.js';

/**
 * Defaults of the distill stage besides the decoding settings, which are translateSentences' own
 * (TRANSLATE_DEFAULTS, beam 5). `teacher` undefined means the bundled model.
 */
export const DISTILL_DEFAULTS = Object.freeze({
  teacher: undefined as string | undefined,
  keepOriginal: false,
  chunkSize: 1000,
});

/** Options of the distill stage: the teacher, mixing, chunking, and how the teacher decodes. */
export const distillStageOptions = z.strictObject({
  teacher: z.string().min(1).optional(),
  keepOriginal: z.boolean().default(DISTILL_DEFAULTS.keepOriginal),
  chunkSize: z.number().int().positive().default(DISTILL_DEFAULTS.chunkSize),
  ...DECODING_STAGE_OPTIONS,
});

type DistillOptions = z.output<typeof distillStageOptions>;

/** One line of a chunk file: the source, the teacher's output, the original target and where it came from. */
interface DistilledLine {
  src: string;
  tgt: string;
  ref: string;
  file: string;
  line: number;
}

const TEACHER_KEY = 'distill.teacher';

registerStage({
  name: 'distill',
  summary:
    'sequence-level knowledge distillation: the train split becomes (source, teacher translation) pairs, resumable in chunks under <workDir>/distill/',
  options: distillStageOptions,
  needs: ['pairs'],
  provides: ['pairs'],
  async run(context, options) {
    const pairs = context.pairs!;
    const teacherDir = teacherFolder(context, options.teacher);
    const dir = join(context.workDir, 'distill');
    const stamp = stampOf(teacherDir, options, context.dataFingerprint);
    await mkdir(dir, { recursive: true });
    await dropStaleChunks(dir, stamp, context);
    const started = Date.now();
    const teacher = new LazyTeacher(teacherDir, context);
    const figures = { sentences: 0, translated: 0, reusedChunks: 0, chunks: 0, emptyOutputs: 0 };
    const progress = new DistillProgress(context);
    const gate = context.trainGate;
    try {
      await lastValueFrom(
        pairs.train().pipe(
          bufferCount(options.chunkSize),
          // Hold the reader while the teacher works, so at most about one chunk waits in memory.
          tap(() => gate?.close()),
          concatMap((chunk, index) =>
            defer(async () => {
              const file = chunkFile(dir, index);
              const reused = await readChunk(file, chunk);
              const translating = Date.now();
              const lines = reused ?? (await distillChunk(await teacher.get(), chunk, options, context));
              if (!reused) await writeTextFile(file, lines.map((line) => JSON.stringify(line)).join('\n'));
              figures.chunks += 1;
              figures.sentences += chunk.length;
              figures.emptyOutputs += lines.filter((line) => line.tgt === '').length;
              if (reused) {
                figures.reusedChunks += 1;
                progress.reused(figures.chunks, chunk.length);
              } else {
                figures.translated += chunk.length;
                progress.translated(
                  figures.chunks,
                  figures.sentences,
                  chunk.length,
                  Date.now() - translating,
                  file,
                );
              }
              gate?.open();
            }),
          ),
        ),
        { defaultValue: undefined },
      );
    } finally {
      progress.flush();
      gate?.open();
      teacher.dispose();
    }
    await removeChunksFrom(dir, figures.chunks);
    if (figures.emptyOutputs > 0) {
      context.log(
        `distill: the teacher gave an empty translation for ${figures.emptyOutputs} sentences; those pairs are left out${options.keepOriginal ? ' (their original pairs are kept)' : ''}`,
      );
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    context.results.distill = {
      teacher: teacherDir,
      dir,
      ...figures,
      seconds,
      sentencesPerSecond:
        figures.translated > 0 ? Math.round((figures.translated / seconds) * 10) / 10 : undefined,
    };
    // Tokenizers trained on the original targets are stale now.
    context.dataFingerprint = `${context.dataFingerprint ?? ''} distill ${stamp} keepOriginal ${options.keepOriginal}`;
    const chunks = figures.chunks;
    context.pairs = {
      ...pairs,
      train: () => readDistilled(dir, chunks, options.keepOriginal, gate),
    };
  },
});

/** The teacher's folder: the configured one (relative to the config) or the bundled model. */
function teacherFolder(context: PipelineContext, teacher: string | undefined): string {
  try {
    return teacher === undefined ? resolveModelDir() : resolve(context.configDir, teacher);
  } catch (error) {
    throw withTeacherKey(error, undefined);
  }
}

/** A teacher error that names the config key and says what to do. */
function withTeacherKey(error: unknown, dir: string | undefined): unknown {
  if (!isSubflowError(error)) return error;
  return new SubflowError(error.code, `${TEACHER_KEY}: ${dir ? `${dir}: ` : ''}${error.message}`, {
    key: TEACHER_KEY,
    file: error.file,
    cause: error,
    hint: `set ${TEACHER_KEY} to a checkpoint folder with model.json, weights.bin and both tokenizers (e.g. runs/bible-es-en/checkpoints/best), or leave it out to use the bundled model${error.hint ? `; ${error.hint}` : ''}`,
  });
}

const STAMP_FILE = 'stamp.json';

/**
 * What the chunks depend on, hashed: the teacher (its model.json, which holds the weights' sha256),
 * the decoding settings, the chunk size and the data read before this stage (files and cleaning).
 */
function stampOf(teacherDir: string, options: DistillOptions, data: string | undefined): string {
  if (!existsSync(teacherDir)) {
    throw withTeacherKey(
      new SubflowError('FILE_NOT_FOUND', `${teacherDir} does not exist`, { file: teacherDir }),
      undefined,
    );
  }
  let modelJson: string;
  try {
    modelJson = readFileSync(join(teacherDir, 'model.json'), 'utf8');
  } catch (cause) {
    throw withTeacherKey(
      new SubflowError('MODEL_INVALID', `${teacherDir} is not a checkpoint folder: it has no model.json`, {
        file: join(teacherDir, 'model.json'),
        cause,
      }),
      undefined,
    );
  }
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  return JSON.stringify({
    teacher: hash(modelJson),
    decoding: decodingSettingsOf(options),
    chunkSize: options.chunkSize,
    data: hash(data ?? ''),
  });
}

/**
 * Deletes chunk files made under another teacher, decoding settings or data, so they are never mixed
 * with new ones, and records the current stamp before any new chunk is written.
 */
async function dropStaleChunks(dir: string, stamp: string, context: PipelineContext): Promise<void> {
  const stampFile = join(dir, STAMP_FILE);
  const old = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trimEnd() : undefined;
  if (old === stamp) return;
  const chunks = (await readdir(dir)).filter((name) => CHUNK_NAME.test(name));
  if (chunks.length > 0) {
    context.log(
      `distill: the teacher, decoding settings or data changed; dropping ${chunks.length} chunks translated before`,
    );
    await Promise.all(chunks.map((name) => rm(join(dir, name), { force: true })));
  }
  await writeTextFile(stampFile, stamp);
}

/** Removes chunk files past the last one of this run's data (left from a longer corpus). */
async function removeChunksFrom(dir: string, count: number): Promise<void> {
  const extra = (await readdir(dir)).filter((name) => CHUNK_NAME.test(name) && chunkIndex(name) >= count);
  await Promise.all(extra.map((name) => rm(join(dir, name), { force: true })));
}

const CHUNK_NAME = /^chunk-(\d{6})\.jsonl$/;

function chunkFile(dir: string, index: number): string {
  return join(dir, `chunk-${String(index).padStart(6, '0')}.jsonl`);
}

function chunkIndex(name: string): number {
  return Number(CHUNK_NAME.exec(name)![1]);
}

/**
 * A finished chunk's lines when its file exists and holds exactly these pairs' sources and targets
 * (so an edited corpus is never paired with old teacher outputs); otherwise undefined.
 */
async function readChunk(file: string, chunk: SentencePair[]): Promise<DistilledLine[] | undefined> {
  if (!existsSync(file)) return undefined;
  const lines: DistilledLine[] = [];
  try {
    for await (const { text } of readLines(file)) lines.push(JSON.parse(text) as DistilledLine);
  } catch {
    return undefined; // unreadable or not ours: translate it again
  }
  const same =
    lines.length === chunk.length &&
    lines.every((line, i) => line.src === chunk[i].src && line.ref === chunk[i].tgt);
  return same ? lines : undefined;
}

/** Translates one chunk's sources with the teacher. */
async function distillChunk(
  teacher: TranslationModel,
  chunk: SentencePair[],
  options: DistillOptions,
  context: PipelineContext,
): Promise<DistilledLine[]> {
  const translations = await translateSentences(
    teacher,
    chunk.map((pair) => pair.src),
    {
      ...decodingSettingsOf(options),
      signal: context.signal,
      onWarning: (warning) => {
        const { origin } = chunk[warning.index];
        context.log(`distill: ${origin.file}:${origin.line}: ${warning.message}`);
      },
    },
  );
  return chunk.map((pair, i) => ({
    src: pair.src,
    tgt: translations[i].text,
    ref: pair.tgt,
    file: pair.origin.file,
    line: pair.origin.line,
  }));
}

/** Loads the teacher only when a chunk needs translating, so a finished distillation costs no model load. */
class LazyTeacher {
  private model?: Promise<TranslationModel>;

  constructor(
    private readonly dir: string,
    private readonly context: PipelineContext,
  ) {}

  get(): Promise<TranslationModel> {
    this.model ??= loadModel(this.dir, { backend: this.context.backend as BackendName }).then(
      (model) => {
        this.context.log(`distill: teacher ${model.dir} (${model.backend.reason})`);
        return model;
      },
      (error: unknown) => {
        throw withTeacherKey(error, this.dir);
      },
    );
    return this.model;
  }

  dispose(): void {
    this.model?.then(
      (model) => model.dispose(),
      () => undefined,
    );
  }
}

/**
 * Progress lines: one per translated chunk (sentences so far and the teacher's speed), and one per run
 * of reused chunks, so a rerun does not print a line for each of hundreds of finished chunks.
 */
class DistillProgress {
  private reusedRun?: { first: number; last: number; sentences: number };
  private translatedSentences = 0;
  private translatingMs = 0;

  constructor(private readonly context: PipelineContext) {}

  reused(chunk: number, sentences: number): void {
    this.reusedRun ??= { first: chunk, last: chunk, sentences: 0 };
    this.reusedRun.last = chunk;
    this.reusedRun.sentences += sentences;
  }

  translated(chunk: number, sentencesSoFar: number, sentences: number, ms: number, file: string): void {
    this.flush();
    this.translatedSentences += sentences;
    this.translatingMs += ms;
    const speed = this.translatedSentences / Math.max(this.translatingMs / 1000, 1e-3);
    this.context.log(
      `distill: chunk ${chunk} translated (${sentencesSoFar.toLocaleString('en-US')} sentences so far, teacher ${speed.toFixed(1)} sentences/s) ${file}`,
    );
  }

  /** Reports the reused chunks not reported yet. */
  flush(): void {
    const run = this.reusedRun;
    if (!run) return;
    this.reusedRun = undefined;
    const chunks = run.first === run.last ? `chunk ${run.first}` : `chunks ${run.first}–${run.last}`;
    this.context.log(
      `distill: ${chunks} reused (${run.sentences.toLocaleString('en-US')} sentences translated before with the same teacher and settings)`,
    );
  }
}

/**
 * The distilled train split, read back from the chunk files in order (pulled through `gate` like the
 * read stage's files, so training holds a bounded number of batches): (source, teacher output) pairs,
 * and with `keepOriginal` also each original pair that differs from it.
 */
function readDistilled(
  dir: string,
  chunks: number,
  keepOriginal: boolean,
  gate: FlowGate | undefined,
): Observable<SentencePair> {
  async function* pairs(): AsyncGenerator<SentencePair> {
    for (let index = 0; index < chunks; index++) {
      for await (const { text } of readLines(chunkFile(dir, index))) {
        const line = JSON.parse(text) as DistilledLine;
        const origin = { file: line.file, line: line.line };
        await gate?.pass();
        if (line.tgt !== '') yield { src: line.src, tgt: line.tgt, origin };
        if (keepOriginal && line.ref !== line.tgt) yield { src: line.src, tgt: line.ref, origin };
      }
    }
  }
  return defer(() => from(pairs()));
}
