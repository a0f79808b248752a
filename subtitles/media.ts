import { randomBytes } from 'node:crypto';
import {
  access,
  constants,
  mkdtemp,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { SubflowError } from '../errors.js';
import type { SubtitleDocument, SubtitleStream, SubtitleWarning } from './cue.js';
import { decodeSubtitleBytes } from './encoding.js';
import { writeSubtitles } from './formats.js';
import { parseRequiringCues } from './requireCues.js';
import { toIso6392 } from './mediaLanguages.js';
import { extractionPlan, muxArguments, muxPlan, outputContainer, type Container } from './mediaPlans.js';
import { packetSizes, probeMedia, type MediaProbe } from './mediaProbe.js';
import { chooseSubtitleStream, type StreamChoice } from './mediaSelect.js';
import { stripTags } from './tags.js';
import { formatSrtTimestamp } from './timestamp.js';
import {
  assertRunnable,
  interrupted,
  isSpawnFailure,
  mediaInvalid,
  mediaToolPaths,
  stderrTail,
  toolMissing,
} from './mediaTools.js';

/*
 * The ffmpeg adapter: the only module that runs ffmpeg (through fluent-ffmpeg). What arguments it
 * passes, and why cue times survive extraction and muxing unchanged, is in mediaPlans.ts.
 */

export { formatStreamTable, probeMedia, BITMAP_SUBTITLE_CODECS } from './mediaProbe.js';
export type { MediaProbe, MediaStreamSummary, ProbeOptions } from './mediaProbe.js';
export {
  chooseSubtitleStream,
  selectSubtitleStream,
  type ChosenStream,
  type StreamChoice,
} from './mediaSelect.js';
export { setMediaToolPaths, type MediaToolPaths } from './mediaTools.js';

interface FfmpegRun {
  /** What the run does, for messages: `extracting stream #2 of movie.mkv`. */
  action: string;
  /** The error for a run that failed, given ffmpeg's stderr. */
  failure: (stderr: string, cause: unknown) => SubflowError;
  signal?: AbortSignal;
}

/**
 * Runs a prepared fluent-ffmpeg command to its end and resolves with ffmpeg's stderr (`-v error`:
 * errors only). SIGKILLs ffmpeg when `signal` fires, and only then rejects, so callers may clean
 * up files ffmpeg was writing.
 */
async function runFfmpeg(command: FfmpegCommand, run: FfmpegRun): Promise<string> {
  const executable = mediaToolPaths().ffmpeg;
  await assertRunnable('ffmpeg', executable);
  command.setFfmpegPath(executable);
  return new Promise((resolvePromise, reject) => {
    if (run.signal?.aborted) return reject(interrupted(run.action, run.signal.reason));
    let started = false;
    let aborted = false;
    let settled = false;
    const settle = (error: unknown, stderr = ''): void => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolvePromise(stderr);
    };
    const onAbort = (): void => {
      aborted = true;
      // Before 'start' fluent-ffmpeg is still checking capabilities; the kill then happens on 'start'.
      if (started) command.kill('SIGKILL');
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    command.on('start', () => {
      started = true;
      if (aborted) command.kill('SIGKILL');
    });
    command.on('end', (_stdout, stderr) => settle(undefined, stderr ?? ''));
    command.on('error', (error, _stdout, stderr) => {
      if (aborted) settle(interrupted(run.action, run.signal?.reason));
      else if (isSpawnFailure(error) || /Cannot find ffmpeg/.test(error.message))
        settle(toolMissing('ffmpeg', executable, error));
      else settle(run.failure(stderr || error.message, error));
    });
    command.run();
  });
}

/** Options for {@link extractSubtitleStream}. */
export interface ExtractOptions extends StreamChoice {
  /** `probeMedia(file)` already run by the caller; saves a second ffprobe. Used when its `file` matches. */
  probe?: MediaProbe;
  /** Kills ffprobe/ffmpeg and rejects with `INTERRUPTED` when it fires. */
  signal?: AbortSignal;
  /** Refuse a malformed track (`SUBTITLE_PARSE`) instead of working around it. */
  strict?: boolean;
  /** Decode the track's bytes with this encoding (`cp1252`…). Default: BOM, then UTF-8, then detected. */
  encoding?: string;
  /** Told of each problem the lenient parse worked around. */
  onWarning?: (warning: SubtitleWarning) => void;
  /** Told which stream was chosen and why ("the default one of 2 text subtitle streams"), before it is extracted. */
  onStream?: (stream: SubtitleStream, reason: string) => void;
}

/**
 * Extracts one text subtitle track of a media file as a document: the stream given by index, else
 * the one in `language`, else (with `preferLanguage`) the one in the model's source language, else
 * the only (or only default) text track. Cue times are relative to
 * the container's start, as players show them.
 *
 * Throws `SUBTITLE_NO_STREAM` (none, or no such index/language: the message lists the streams),
 * `SUBTITLE_BITMAP` (the choice is PGS/VobSub/DVB and needs OCR), `BAD_ARGUMENT` (several tracks
 * fit), `MEDIA_INVALID` (corrupt or truncated file, with the tail of ffmpeg's stderr),
 * `TOOL_MISSING`, `FILE_NOT_FOUND` or `INTERRUPTED`.
 *
 * @example
 * const doc = await extractSubtitleStream('movie.mkv', { language: 'spa' });
 */
export async function extractSubtitleStream(
  file: string,
  options: ExtractOptions = {},
): Promise<SubtitleDocument> {
  const probe =
    options.probe?.file === file ? options.probe : await probeMedia(file, { signal: options.signal });
  const { stream, reason } = chooseSubtitleStream(probe, options);
  options.onStream?.(stream, reason);
  const plan = extractionPlan(stream.codec);
  const name = `${file} (stream #${stream.index})`;
  // A file, not a pipe: fluent-ffmpeg ends a piped run with "Output stream closed" when the pipe
  // closes 20 ms before ffmpeg's exit is seen, which happens on a loaded machine.
  const scratch = await mkdtemp(join(tmpdir(), 'subflow-extract-'));
  try {
    const trackFile = join(scratch, `track.${plan.format}`);
    const command = ffmpeg()
      .input(file)
      .output(trackFile)
      // prettier-ignore
      .outputOptions(
        '-nostdin',
        '-v',
        'error',
        '-map',
        `0:${stream.index}`,
        '-c:s',
        plan.encoder,
        '-f',
        plan.muxer,
      );
    const stderr = await runFfmpeg(command, {
      action: `extracting subtitle stream #${stream.index} of ${file}`,
      failure: (text, cause) => mediaInvalid(file, 'ffmpeg', text, cause),
      signal: options.signal,
    });
    // A truncated Matroska file still exits 0 ("File ended prematurely"): any error-level line
    // means cues may be missing, and a silently shortened track is worse than an error.
    if (stderr.trim() !== '') throw mediaInvalid(file, 'ffmpeg', stderr);
    const decoded = decodeSubtitleBytes(await readFile(trackFile), {
      encoding: options.encoding,
      file: name,
    });
    const { document, warnings } = parseRequiringCues(decoded, plan.format, {
      strict: options.strict,
      file: name,
    });
    for (const warning of [...decoded.warnings, ...warnings]) options.onWarning?.(warning);
    return document;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Options for {@link muxSubtitleTrack}. */
export interface MuxOptions {
  /** `probeMedia(input)` already run by the caller; saves a second ffprobe. Used when its `file` matches. */
  probe?: MediaProbe;
  /** ISO 639-2 code for the new track (`eng`); a 639-1 code (`en`) is converted. */
  language: string;
  /** Track title shown by players. Default: none. */
  title?: string;
  /** Mark the new track default and clear the default flag of the other subtitle tracks. Default false. */
  setDefault?: boolean;
  /** Kills ffmpeg, removes the partial output and rejects with `INTERRUPTED` when it fires. */
  signal?: AbortSignal;
  /** Told of cues left out (no visible text) and of cue times an MP4 text track cannot keep (overlaps). */
  onWarning?: (warning: SubtitleWarning) => void;
}

/** What {@link muxSubtitleTrack} wrote. */
export interface MuxResult {
  output: string;
  /** Absolute stream index of the new track in `output`. */
  streamIndex: number;
  /** Codec of the new track: `subrip`, `ass`, `webvtt` or `mov_text`. */
  codec: string;
  /** Cues in the new track, counted by ffprobe: every cue of the document that has visible text. */
  cues: number;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [realA, realB] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)]);
  return realA === realB;
}

/**
 * Writes `output`: every stream, chapter and metadata of `input` copied untouched (`-map 0 -c copy`)
 * plus `doc` as a new subtitle track with an ISO 639-2 `language` tag and `title`, in the codec the
 * container takes (MKV: srt, or ass for an ASS document; MP4/MOV: mov_text; WebM: webvtt). The output
 * container follows `output`'s extension. Written to a temp file beside `output`, then renamed.
 * Every cue with visible text becomes one cue of the new track, which ffprobe counts before the
 * rename; cues without text are left out with a warning (see `cuesToMux`).
 *
 * Throws `OUTPUT_IS_INPUT`, `OUTPUT_NOT_WRITABLE`, `BAD_ARGUMENT` (unknown container or language,
 * or another container family than the input's), `MEDIA_INVALID` (unreadable input), `TOOL_FAILED`
 * (ffmpeg refused the mux, its stderr quoted; or the new track has fewer cues than it was given:
 * no output is left then), `TOOL_MISSING`, `FILE_NOT_FOUND` or `INTERRUPTED`.
 *
 * @example
 * await muxSubtitleTrack('movie.mkv', englishDoc, 'movie.en.mkv', { language: 'eng', title: 'English (subflow)' });
 */
export async function muxSubtitleTrack(
  input: string,
  doc: SubtitleDocument,
  output: string,
  options: MuxOptions,
): Promise<MuxResult> {
  if (await sameFile(input, output)) {
    throw new SubflowError('OUTPUT_IS_INPUT', `the output ${output} is the input video itself`, {
      file: output,
      hint: 'write the muxed copy to another file name; subflow never modifies its input',
    });
  }
  const language = toIso6392(options.language);
  const outputDir = dirname(resolve(output));
  await access(outputDir, constants.W_OK).catch((cause: unknown) => {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write into ${outputDir}`, {
      file: output,
      cause,
      hint: 'choose an output folder you can write to',
    });
  });
  if ((await stat(output).catch(() => undefined))?.isDirectory()) {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `the output ${output} is a folder`, {
      file: output,
      hint: 'give the muxed copy a file name, e.g. movie.en.mkv',
    });
  }
  const probe =
    options.probe?.file === input ? options.probe : await probeMedia(input, { signal: options.signal });
  const container = outputContainer(output, probe);
  const plan = muxPlan(container, doc);
  const track = cuesToMux(doc, output, container, options.onWarning);
  const scratch = await mkdtemp(join(tmpdir(), 'subflow-mux-'));
  const subtitleFile = join(scratch, `track.${plan.format}`);
  const partial = join(outputDir, `.${basename(output)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await writeFile(subtitleFile, writeSubtitles(track, { format: plan.format }), 'utf8');
    const args = muxArguments(probe, container, plan, {
      language,
      title: options.title,
      setDefault: options.setDefault,
    });
    const command = ffmpeg()
      .input(input)
      .input(subtitleFile)
      .inputOptions(...args.subtitleInputOptions)
      .output(partial)
      .outputOptions(...args.outputOptions);
    await runFfmpeg(command, {
      action: `muxing subtitles into ${output}`,
      failure: (stderr, cause) => muxFailed(output, stderr, cause),
      signal: options.signal,
    });
    // Muxers reorder streams (Matroska puts attachments last), so find the new track by probing.
    const written = await probeMedia(partial, { signal: options.signal });
    const added = written.subtitleStreams[probe.subtitleStreams.length];
    if (!added || written.streams.length !== probe.streams.length + 1) {
      throw new SubflowError('TOOL_FAILED', `ffmpeg wrote ${output} without the new subtitle track`, {
        file: output,
        hint: 'run again with --debug and report the ffmpeg version',
      });
    }
    // ffmpeg drops some cues without a word of warning (an empty one, and in WebVTT those after it):
    // count what it wrote rather than trust it.
    const sizes = await packetSizes(partial, added.index, { signal: options.signal });
    // mov_text fills the time between cues with empty samples (2 bytes: a zero text length).
    const cuesWritten = sizes.filter((size) => size > (added.codec === 'mov_text' ? 2 : 0)).length;
    if (cuesWritten !== track.cues.length) {
      throw new SubflowError(
        'TOOL_FAILED',
        `ffmpeg wrote ${cuesWritten} of the ${track.cues.length} cues into the new ${added.codec} track of ${output}, so no muxed copy was kept`,
        {
          file: output,
          hint: 'the subtitle file holds every cue; add it to the video with a player or mkvmerge, and report the ffmpeg version (--debug)',
        },
      );
    }
    await rename(partial, output).catch((cause: unknown) => {
      throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${output}`, {
        file: output,
        cause,
        hint: 'the name may be a folder or a file you may not replace; choose another output path',
      });
    });
    return { output, streamIndex: added.index, codec: added.codec, cues: cuesWritten };
  } finally {
    await rm(partial, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The cues to hand ffmpeg: those with visible text. A cue without any shows nothing, and ffmpeg
 * drops it anyway (and its WebVTT demuxer then loses the cues after it), so it is left out with a
 * warning. MP4/MOV text tracks show one sample at a time, so there a cue overlapping the next one
 * ends where that one starts; the warning names the first such cue.
 */
function cuesToMux(
  doc: SubtitleDocument,
  output: string,
  container: Container,
  onWarning?: (warning: SubtitleWarning) => void,
): SubtitleDocument {
  const at = (index: number): string => `cue ${index + 1} at ${formatSrtTimestamp(doc.cues[index].start)}`;
  const blank = doc.cues.flatMap((cue, index) => (stripTags(cue.text) === '' ? [index] : []));
  if (blank.length > 0) {
    const listed = blank.slice(0, 5).map(at).join(', ') + (blank.length > 5 ? ', …' : '');
    onWarning?.({
      message: `${output}: ${blank.length} ${blank.length === 1 ? 'cue' : 'cues'} without text ${blank.length === 1 ? 'was' : 'were'} left out of the new track (${listed})`,
    });
  }
  const shown = doc.cues.flatMap((cue, index) => (stripTags(cue.text) === '' ? [] : [index]));
  if (container === 'mp4' || container === 'mov') {
    const order = [...shown].sort((a, b) => doc.cues[a].start - doc.cues[b].start);
    const overlapping = order.filter(
      (index, k) => k + 1 < order.length && doc.cues[order[k + 1]].start < doc.cues[index].end,
    );
    if (overlapping.length > 0) {
      const first = overlapping[0];
      const next = order[order.indexOf(first) + 1];
      const more = overlapping.length > 1 ? ` (and ${overlapping.length - 1} more)` : '';
      const cut =
        doc.cues[next].start <= doc.cues[first].start
          ? `cue ${first + 1} is hidden behind it there`
          : `cue ${first + 1} ends at ${formatSrtTimestamp(doc.cues[next].start)} there`;
      onWarning?.({
        message: `${output}: ${at(first)} overlaps cue ${next + 1}${more}; an MP4 text track shows one cue at a time, so ${cut} (the subtitle file keeps its time)`,
      });
    }
  }
  return shown.length === doc.cues.length ? doc : { ...doc, cues: shown.map((index) => doc.cues[index]) };
}

/** `TOOL_FAILED` for a mux ffmpeg refused, quoting the end of its stderr. */
function muxFailed(output: string, stderr: string, cause: unknown): SubflowError {
  return new SubflowError('TOOL_FAILED', `ffmpeg could not write ${output}:\n${stderrTail(stderr)}`, {
    file: output,
    cause,
    hint: "the input may hold a stream this container cannot take; keep the input file's extension",
  });
}
