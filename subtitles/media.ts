import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { SubflowError } from '../errors.js';
import type { SubtitleDocument, SubtitleFormat, SubtitleStream, SubtitleWarning } from './cue.js';
import { parseSubtitles, writeSubtitles } from './formats.js';
import { toIso6392 } from './mediaLanguages.js';
import { probeMedia, type MediaProbe } from './mediaProbe.js';
import { selectSubtitleStream, type StreamChoice } from './mediaSelect.js';
import {
  assertRunnable,
  interrupted,
  isSpawnFailure,
  mediaInvalid,
  mediaToolPaths,
  toolMissing,
} from './mediaTools.js';

/*
 * The ffmpeg adapter: the only module that runs ffmpeg (through fluent-ffmpeg).
 *
 * Timestamps. ffmpeg, unless told `-copyts`, subtracts the container's start time from every
 * packet it reads, so extracted cue times are relative to the file's start (what players show).
 * Files rarely start at 0 exactly: an AAC encoder's priming samples make ffmpeg shift a whole MKV
 * by +23 ms (video and subtitles then start 23 ms late, audio at 0); WebM with Opus starts at
 * -7 ms (the Opus pre-skip); MP4 hides AAC priming in an edit list and starts at 0. Muxing
 * therefore copies the input's packets with `-copyts` (their timestamps untouched, no
 * `avoid_negative_ts` shift) and delays the new track by the container's start time
 * (`-itsoffset`), so a cue lands on exactly the packet time the source track's cue has.
 */

export { formatStreamTable, probeMedia, BITMAP_SUBTITLE_CODECS } from './mediaProbe.js';
export type { MediaProbe, MediaStreamSummary, ProbeOptions } from './mediaProbe.js';
export { selectSubtitleStream, type StreamChoice } from './mediaSelect.js';
export { setMediaToolPaths, type MediaToolPaths } from './mediaTools.js';

interface FfmpegRun {
  /** What the run does, for messages: `extracting stream #2 of movie.mkv`. */
  action: string;
  /** The media file the run reads, named in `MEDIA_INVALID`. */
  file: string;
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
      else settle(mediaInvalid(run.file, 'ffmpeg', stderr || error.message, error));
    });
    command.run();
  });
}

/** How a text subtitle codec is pulled out of a container: copied when the format matches, else re-encoded to SRT. */
function extractionPlan(codec: string): { format: SubtitleFormat; muxer: string; encoder: string } {
  switch (codec) {
    case 'subrip':
      return { format: 'srt', muxer: 'srt', encoder: 'copy' };
    case 'ass':
    case 'ssa':
      return { format: 'ass', muxer: 'ass', encoder: 'copy' };
    case 'webvtt':
      return { format: 'vtt', muxer: 'webvtt', encoder: 'copy' };
    default:
      // mov_text, microdvd, text, eia_608…: ffmpeg decodes them to ASS events; SRT keeps <i>/<b>.
      return { format: 'srt', muxer: 'srt', encoder: 'srt' };
  }
}

/** Options for {@link extractSubtitleStream}. */
export interface ExtractOptions extends StreamChoice {
  /** `probeMedia(file)` already run by the caller; saves a second ffprobe. Used when its `file` matches. */
  probe?: MediaProbe;
  /** Kills ffprobe/ffmpeg and rejects with `INTERRUPTED` when it fires. */
  signal?: AbortSignal;
  /** Refuse a malformed track (`SUBTITLE_PARSE`) instead of working around it. */
  strict?: boolean;
  /** Told of each problem the lenient parse worked around. */
  onWarning?: (warning: SubtitleWarning) => void;
  /** Told which stream was chosen, before it is extracted. */
  onStream?: (stream: SubtitleStream) => void;
}

/**
 * Extracts one text subtitle track of a media file as a document: the stream given by index, else
 * the one in `language`, else the only (or only default) text track. Cue times are relative to
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
  const stream = selectSubtitleStream(probe, options);
  options.onStream?.(stream);
  const plan = extractionPlan(stream.codec);
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const command = ffmpeg()
    .input(file)
    .output(output, { end: true })
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
    file,
    signal: options.signal,
  });
  // A truncated Matroska file still exits 0 ("File ended prematurely"): any error-level line
  // means cues may be missing, and a silently shortened track is worse than an error.
  if (stderr.trim() !== '') throw mediaInvalid(file, 'ffmpeg', stderr);
  const text = Buffer.concat(chunks).toString('utf8');
  const { document, warnings } = parseSubtitles(text, plan.format, {
    strict: options.strict,
    file: `${file} (stream #${stream.index})`,
  });
  for (const warning of warnings) options.onWarning?.(warning);
  return document;
}

type Container = 'matroska' | 'webm' | 'mp4' | 'mov';

const CONTAINERS: Record<string, Container> = {
  '.mkv': 'matroska',
  '.mka': 'matroska',
  '.webm': 'webm',
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mov',
};

/** The subtitle text subflow hands ffmpeg for a container, and the codec the new track gets there. */
function muxPlan(container: Container, doc: SubtitleDocument): { format: SubtitleFormat; codec: string } {
  switch (container) {
    case 'matroska':
      return doc.format === 'ass' ? { format: 'ass', codec: 'copy' } : { format: 'srt', codec: 'copy' };
    case 'webm':
      return { format: 'vtt', codec: 'copy' };
    case 'mp4':
    case 'mov':
      // mov_text takes SRT's <i>/<b>/<u> and ASS overrides alike; keep the document's own format.
      return { format: doc.format, codec: 'mov_text' };
  }
}

const DEMUXERS: Record<SubtitleFormat, string> = { srt: 'srt', vtt: 'webvtt', ass: 'ass' };

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
}

/** What {@link muxSubtitleTrack} wrote. */
export interface MuxResult {
  output: string;
  /** Absolute stream index of the new track in `output`. */
  streamIndex: number;
  /** Codec of the new track: `subrip`, `ass`, `webvtt` or `mov_text`. */
  codec: string;
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
 *
 * Throws `OUTPUT_IS_INPUT`, `OUTPUT_NOT_WRITABLE`, `BAD_ARGUMENT` (unknown container or language),
 * `MEDIA_INVALID`, `TOOL_MISSING`, `FILE_NOT_FOUND` or `INTERRUPTED`.
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
  const container = CONTAINERS[extname(output).toLowerCase()];
  if (!container) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `cannot add a subtitle track to a "${extname(output)}" file (${output})`,
      {
        file: output,
        hint: 'name the output .mkv, .mp4, .m4v, .mov or .webm',
      },
    );
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
  const probe =
    options.probe?.file === input ? options.probe : await probeMedia(input, { signal: options.signal });
  const plan = muxPlan(container, doc);
  const scratch = await mkdtemp(join(tmpdir(), 'subflow-mux-'));
  const subtitleFile = join(scratch, `track.${plan.format}`);
  const partial = join(outputDir, `.${basename(output)}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await writeFile(subtitleFile, writeSubtitles(doc, { format: plan.format }), 'utf8');
    const command = buildMuxCommand(input, subtitleFile, partial, {
      probe,
      container,
      plan,
      language,
      options,
    });
    await runFfmpeg(command, {
      action: `muxing subtitles into ${output}`,
      file: input,
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
    await rename(partial, output);
    return { output, streamIndex: added.index, codec: added.codec };
  } finally {
    await rm(partial, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

interface MuxCommandInput {
  probe: MediaProbe;
  container: Container;
  plan: { format: SubtitleFormat; codec: string };
  language: string;
  options: MuxOptions;
}

function buildMuxCommand(
  input: string,
  subtitleFile: string,
  partial: string,
  { probe, container, plan, language, options }: MuxCommandInput,
): FfmpegCommand {
  const newTrack = probe.subtitleStreams.length; // its index among the output's subtitle streams
  const trackOptions = [`-c:s:${newTrack}`, plan.codec, `-metadata:s:s:${newTrack}`, `language=${language}`];
  if (options.title !== undefined) {
    trackOptions.push(`-metadata:s:s:${newTrack}`, `title=${options.title}`);
    // MP4/MOV keep no per-track title; players show the handler name instead.
    if (container === 'mp4' || container === 'mov') {
      trackOptions.push(`-metadata:s:s:${newTrack}`, `handler_name=${options.title}`);
    }
  }
  // Always set the new track's disposition: with none given, the ffmpeg CLI marks the first
  // subtitle track default whenever no track of that type is, changing an original stream.
  trackOptions.push(`-disposition:s:${newTrack}`, options.setDefault ? 'default' : '0');
  if (options.setDefault) {
    probe.subtitleStreams.forEach((stream, position) => {
      if (stream.isDefault) trackOptions.push(`-disposition:s:${position}`, '-default');
    });
  }
  return ffmpeg()
    .input(input)
    .input(subtitleFile)
    .inputOptions(
      '-f',
      DEMUXERS[plan.format],
      '-sub_charenc',
      'UTF-8',
      '-itsoffset',
      `${probe.startMs / 1000}`,
    )
    .output(partial)
    .outputOptions(
      '-nostdin',
      '-v',
      'error',
      '-copyts',
      '-map',
      '0',
      '-map',
      '1:0',
      '-map_metadata',
      '0',
      '-map_chapters',
      '0',
      '-c',
      'copy',
      ...trackOptions,
      '-avoid_negative_ts',
      'disabled',
      '-f',
      container,
    );
}
