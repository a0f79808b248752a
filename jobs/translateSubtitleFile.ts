import { extname, resolve } from 'node:path';
import { SubflowError } from '../errors.js';
import { inputAt, type ProtectedInputs } from '../outputPath.js';
import type { UnitTranslator } from '../operators/translateCues.js';
import type { SubtitleDocument, SubtitleFormat, SubtitleWarning } from '../subtitles/cue.js';
import { extractSubtitleStream, muxSubtitleTrack, probeMedia, type MediaProbe } from '../subtitles/media.js';
import { describeStream } from '../subtitles/mediaProbe.js';
import { readSubtitleFile } from '../subtitles/readSubtitleFile.js';
import type { SplitMethod } from '../subtitles/attentionSplit.js';
import { translateDocument } from '../subtitles/translateDocument.js';
import { writeSubtitleFile } from '../subtitles/writeSubtitleFile.js';
import type { InputFile, OutputPaths } from './subtitleInputs.js';

/*
 * One file of `subflow translate`: read (or probe and extract) → translate → write → mux.
 * Each step's wall time is kept, so the CLI summary and bench/subtitles.ts can say where time went.
 */

/** Containers a translated track can be added to (see subtitles/mediaPlans.ts). */
const MUXABLE_EXTENSIONS: ReadonlySet<string> = new Set(['.mkv', '.mka', '.webm', '.mp4', '.m4v', '.mov']);

/** What the user asked for, for every file of a run. */
export interface SubtitleJobOptions {
  /** Stream index to extract from videos (`--stream`). */
  stream?: number;
  /** Language of the track to extract from videos (`--source-lang`). */
  sourceLanguage?: string;
  /** What the model translates (ISO 639-1), when it records it: a video's track in `source` is preferred. */
  modelLanguages?: { source: string; target: string };
  /** ISO 639-2 code of the translation (`--to`): output names and the muxed track's tag. */
  targetLanguage: string;
  /** Output format; default: the source track's own (SRT for mov_text). */
  format?: SubtitleFormat;
  /** Also write a copy of each video with the translated track added. */
  mux: boolean;
  /** Decode subtitle bytes with this encoding (`--encoding cp1252`). */
  encoding?: string;
  /** Refuse malformed subtitles instead of repairing them with warnings. */
  strict: boolean;
  /** Start written subtitle files with a UTF-8 BOM. */
  bom: boolean;
  maxLineLength: number;
  maxLines: number;
  /** How a merged sentence's translation is split back over its cues (`--split`). Default DEFAULT_SPLIT. */
  split?: SplitMethod;
  /** Title of the muxed track. Default `<to> (subflow)`. */
  trackTitle?: string;
}

/** Wall time of each step of one file, in milliseconds. */
export interface StageTimings {
  /** Reading and parsing a subtitle file, or ffprobe + ffmpeg extraction and parsing. */
  readMs: number;
  /** Masking, sentence segmentation, the model, splitting back and reflow. */
  translateMs: number;
  writeMs: number;
  muxMs: number;
}

/** Hooks a run uses to show one file's progress. */
export interface SubtitleJobHooks {
  /** The source track was read: how many cues will be translated. */
  onCues?(count: number): void;
  onWarning?(warning: SubtitleWarning): void;
  /** The subtitle stream taken from a video, described (index, codec, language, title) with the reason. */
  onStream?(description: string): void;
  /** Called with each output path before it is written; throws to refuse it (two inputs, one output). */
  reserve?(path: string): void;
}

/** What became of one file. */
export interface SubtitleJobResult {
  input: string;
  cues: number;
  /** Absolute paths written. */
  outputs: string[];
  timings: StageTimings;
}

/** Everything one file needs besides the input itself. */
export interface SubtitleJobContext {
  translateUnits: UnitTranslator;
  options: SubtitleJobOptions;
  /** Every input of the run: no output may overwrite one of them (a guard made once per run, or a list). */
  inputs: ProtectedInputs;
  signal?: AbortSignal;
  hooks?: SubtitleJobHooks;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

async function readSource(
  input: InputFile,
  context: SubtitleJobContext,
): Promise<{ document: SubtitleDocument; probe?: MediaProbe }> {
  const { options, signal, hooks } = context;
  if (input.kind === 'subtitle') {
    const file = await readSubtitleFile(input.path, { encoding: options.encoding, strict: options.strict });
    for (const warning of file.warnings) hooks?.onWarning?.(warning);
    return { document: file.document };
  }
  const probe = await probeMedia(input.path, { signal });
  const document = await extractSubtitleStream(input.path, {
    probe,
    stream: options.stream,
    language: options.stream === undefined ? options.sourceLanguage : undefined,
    preferLanguage: options.modelLanguages?.source,
    strict: options.strict,
    encoding: options.encoding,
    signal,
    onWarning: (warning) => hooks?.onWarning?.(warning),
    onStream: (stream, reason) => hooks?.onStream?.(`subtitle stream ${describeStream(stream)}: ${reason}`),
  });
  return { document, probe };
}

/**
 * The translation step of a job: masks tags, merges cues into sentences, translates them with
 * `context.translateUnits`, splits the translations back over the cues and reflows them. N cues in, N
 * out, times unchanged. `subflow translate` and the service's subtitle route both run this.
 */
export async function translateSubtitleDocument(
  source: SubtitleDocument,
  context: Pick<SubtitleJobContext, 'translateUnits' | 'signal' | 'hooks'> & {
    /** Unset: reflow's defaults (42 characters, 2 lines), as `subflow translate` has them. */
    options: Partial<Pick<SubtitleJobOptions, 'maxLineLength' | 'maxLines' | 'split'>>;
  },
): Promise<SubtitleDocument> {
  const { options, hooks } = context;
  return translateDocument(source, (units) => context.translateUnits(units, context.signal), {
    maxLineLength: options.maxLineLength,
    maxLines: options.maxLines,
    split: options.split,
    onWarning: (warning) => hooks?.onWarning?.(warning),
  });
}

/**
 * Translates one input file and writes its outputs (temp file + rename, inputs never touched).
 * Throws the `SubflowError` of the step that failed; outputs written before that step stay.
 */
export async function translateSubtitleFile(
  input: InputFile,
  paths: OutputPaths,
  context: SubtitleJobContext,
): Promise<SubtitleJobResult> {
  const { options, signal, hooks } = context;
  const outputs: string[] = [];
  const read = await timed(() => readSource(input, context));
  const source = read.value.document;
  hooks?.onCues?.(source.cues.length);

  const translation = await timed(() => translateSubtitleDocument(source, context));

  const format = options.format ?? paths.format ?? source.format;
  const subtitlePath = paths.subtitle(format);
  hooks?.reserve?.(subtitlePath);
  const written = await timed(() =>
    writeSubtitleFile(subtitlePath, translation.value, {
      format,
      bom: options.bom,
      inputs: context.inputs,
      signal,
    }),
  );
  outputs.push(written.value);

  let muxMs = 0;
  if (options.mux && read.value.probe) {
    hooks?.reserve?.(paths.muxed);
    const muxed = await timed(() =>
      muxTranslation(input, paths.muxed, translation.value, read.value.probe!, context),
    );
    outputs.push(muxed.value);
    muxMs = muxed.ms;
  } else if (options.mux) {
    hooks?.onWarning?.({
      message: `${input.path} is a subtitle file: there is no video to add the track to`,
    });
  }
  return {
    input: input.path,
    cues: source.cues.length,
    outputs,
    timings: { readMs: read.ms, translateMs: translation.ms, writeMs: written.ms, muxMs },
  };
}

async function muxTranslation(
  input: InputFile,
  output: string,
  document: SubtitleDocument,
  probe: MediaProbe,
  context: SubtitleJobContext,
): Promise<string> {
  const { options } = context;
  const extension = extname(input.path).toLowerCase();
  if (!MUXABLE_EXTENSIONS.has(extension)) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `${input.path}: a ${extension || 'extension-less'} file cannot carry a text subtitle track, so no muxed copy was made (the subtitle file was written)`,
      {
        file: input.path,
        hint: 'remux the video to MKV first (ffmpeg -i in.avi -map 0 -c copy in.mkv) and translate that with --mux',
      },
    );
  }
  // muxSubtitleTrack refuses its own input; the other inputs of the run are protected here.
  const clash = await inputAt(output, context.inputs);
  if (clash !== undefined) {
    throw new SubflowError('OUTPUT_IS_INPUT', `the muxed copy ${output} would overwrite the input ${clash}`, {
      file: output,
      hint: 'choose another output folder with --out; inputs are never modified',
    });
  }
  const result = await muxSubtitleTrack(input.path, document, output, {
    probe,
    language: options.targetLanguage,
    title: options.trackTitle ?? `${options.targetLanguage} (subflow)`,
    signal: context.signal,
    onWarning: (warning) => context.hooks?.onWarning?.(warning),
  });
  return resolve(result.output);
}
