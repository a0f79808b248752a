import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { SubflowError } from '../errors.js';
import type { SubtitleStream } from './cue.js';
import { interrupted, isSpawnFailure, mediaInvalid, mediaToolPaths, toolMissing } from './mediaTools.js';

/** Subtitle codecs that are pictures, not text: they need OCR before subflow can translate them. */
export const BITMAP_SUBTITLE_CODECS: ReadonlySet<string> = new Set([
  'hdmv_pgs_subtitle',
  'dvd_subtitle',
  'dvb_subtitle',
  'xsub',
  'dvb_teletext',
  'arib_caption',
]);

/** One stream of a media file, as `subflow inspect` lists it. */
export interface MediaStreamSummary {
  /** ffmpeg's absolute stream index (the N of `-map 0:N`). */
  index: number;
  /** `video`, `audio`, `subtitle`, `data` or `attachment`. */
  type: string;
  /** ffmpeg's codec name (`h264`, `aac`, `subrip`, `hdmv_pgs_subtitle`…); `unknown` when ffprobe has none. */
  codec: string;
  /** Codec-specific facts: `160x120 10 fps`, `44100 Hz 1 ch`, `text`/`bitmap`, an attachment's file name. */
  details: string;
  language?: string;
  title?: string;
  isDefault: boolean;
  isForced: boolean;
  /** First timestamp of the stream in the container, when ffprobe knows it. */
  startMs?: number;
}

/** What {@link probeMedia} reports about a media file. */
export interface MediaProbe {
  file: string;
  /** ffprobe's container name list, e.g. `matroska,webm` or `mov,mp4,m4a,3gp,3g2,mj2`. */
  format: string;
  /** Undefined when the container does not say (e.g. a live stream). */
  durationMs?: number;
  /**
   * The container's start time. ffmpeg subtracts it when extracting a track, so cue times read
   * from the file are relative to it; muxing adds it back (see `muxSubtitleTrack`).
   */
  startMs: number;
  chapterCount: number;
  streams: MediaStreamSummary[];
  subtitleStreams: SubtitleStream[];
}

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  chapters?: unknown[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

/** Options for {@link probeMedia}. */
export interface ProbeOptions {
  /** Kills ffprobe and rejects with `INTERRUPTED` when it fires. */
  signal?: AbortSignal;
}

/**
 * Lists a media file's container, duration and streams with ffprobe.
 * Throws `FILE_NOT_FOUND`, `TOOL_MISSING` (no ffprobe), `MEDIA_INVALID` (ffprobe cannot read the
 * file; the message ends with its stderr) or `INTERRUPTED`.
 */
export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<MediaProbe> {
  await access(file).catch((cause: unknown) => {
    throw new SubflowError('FILE_NOT_FOUND', `${file} does not exist or cannot be read`, { file, cause });
  });
  const json = await runFfprobe(
    file,
    ['-print_format', 'json', '-show_format', '-show_streams', '-show_chapters'],
    options.signal,
  );
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(json) as FfprobeOutput;
  } catch (cause) {
    throw mediaInvalid(file, 'ffprobe', json.slice(-500), cause);
  }
  return summarise(file, parsed);
}

/**
 * The size in bytes of every packet of one stream of a media file, in file order (ffprobe reads
 * the whole stream). Throws like {@link probeMedia}.
 */
export async function packetSizes(
  file: string,
  streamIndex: number,
  options: ProbeOptions = {},
): Promise<number[]> {
  const csv = await runFfprobe(
    file,
    ['-select_streams', String(streamIndex), '-show_entries', 'packet=size', '-of', 'csv=p=0'],
    options.signal,
  );
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

// fluent-ffmpeg's own ffprobe wrapper hides the child process (so it cannot be killed on abort)
// and parses ffprobe's INI output; ffprobe's JSON writer is exact, so it is run directly here.
function runFfprobe(file: string, output: readonly string[], signal?: AbortSignal): Promise<string> {
  const executable = mediaToolPaths().ffprobe;
  const args = ['-v', 'error', ...output, file];
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted(`probing ${file}`, signal.reason));
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    const settle = (error: unknown, value?: string): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value ?? '');
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      settle(interrupted(`probing ${file}`, signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) =>
      settle(isSpawnFailure(error) ? toolMissing('ffprobe', executable, error) : error),
    );
    child.on('close', (code, killedBy) => {
      const errorText = Buffer.concat(stderr).toString('utf8');
      if (code === 0) settle(undefined, Buffer.concat(stdout).toString('utf8'));
      else settle(mediaInvalid(file, 'ffprobe', errorText || `exited with ${code ?? killedBy}`));
    });
  });
}

function seconds(value: string | undefined): number | undefined {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isFinite(parsed) ? Math.round(parsed * 1000) : undefined;
}

function streamDetails(stream: FfprobeStream): string {
  switch (stream.codec_type) {
    case 'video': {
      const [num, den] = (stream.avg_frame_rate ?? '0/0').split('/').map(Number);
      const fps = den ? `${Number((num / den).toFixed(3))} fps` : '';
      return [stream.width && stream.height ? `${stream.width}x${stream.height}` : '', fps]
        .filter(Boolean)
        .join(' ');
    }
    case 'audio':
      return [
        stream.sample_rate ? `${stream.sample_rate} Hz` : '',
        stream.channels ? `${stream.channels} ch` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'subtitle':
      return BITMAP_SUBTITLE_CODECS.has(stream.codec_name ?? '') ? 'bitmap' : 'text';
    case 'attachment':
      return stream.tags?.filename ?? '';
    default:
      return '';
  }
}

/**
 * MP4/MOV tracks carry their title as the handler name; muxers fill it with their own name
 * (`SubtitleHandler`, `Core Media Text`, `GPAC ISO Text Handler`…), which is not a title.
 */
function meaningfulHandlerName(name: string | undefined): string | undefined {
  return name && !/handler|core media|gpac|l-smash|iso media|apple/i.test(name) ? name : undefined;
}

function summarise(file: string, probe: FfprobeOutput): MediaProbe {
  const streams = (probe.streams ?? []).map((stream): MediaStreamSummary => {
    const summary: MediaStreamSummary = {
      index: stream.index,
      type: stream.codec_type ?? 'data',
      codec: stream.codec_name ?? stream.tags?.mimetype ?? 'unknown',
      details: streamDetails(stream),
      isDefault: stream.disposition?.default === 1,
      isForced: stream.disposition?.forced === 1,
    };
    const language = stream.tags?.language;
    if (language && language !== 'und') summary.language = language;
    const title = stream.tags?.title ?? meaningfulHandlerName(stream.tags?.handler_name);
    if (title) summary.title = title;
    const startMs = seconds(stream.start_time);
    if (startMs !== undefined) summary.startMs = startMs;
    return summary;
  });
  const subtitleStreams = streams
    .filter((stream) => stream.type === 'subtitle')
    .map((stream): SubtitleStream => ({
      index: stream.index,
      codec: stream.codec,
      kind: BITMAP_SUBTITLE_CODECS.has(stream.codec) ? 'bitmap' : 'text',
      ...(stream.language === undefined ? {} : { language: stream.language }),
      ...(stream.title === undefined ? {} : { title: stream.title }),
      isDefault: stream.isDefault,
      isForced: stream.isForced,
    }));
  const result: MediaProbe = {
    file,
    format: probe.format?.format_name ?? 'unknown',
    startMs: seconds(probe.format?.start_time) ?? 0,
    chapterCount: probe.chapters?.length ?? 0,
    streams,
    subtitleStreams,
  };
  const durationMs = seconds(probe.format?.duration);
  if (durationMs !== undefined) result.durationMs = durationMs;
  return result;
}

/** A stream as a short phrase for messages: `#3 (hdmv_pgs_subtitle, eng)`, `#4 (ass, spa, "Signs")`. */
export function describeStream(stream: {
  index: number;
  codec: string;
  language?: string;
  title?: string;
}): string {
  const title = stream.title ? JSON.stringify(stream.title) : undefined;
  return `#${stream.index} (${[stream.codec, stream.language, title].filter(Boolean).join(', ')})`;
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return 'unknown duration';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * The table `subflow inspect` prints: a header line, then one row per stream with index, type,
 * codec, details, language, flags and title; bitmap subtitle rows say they need OCR.
 */
export function formatStreamTable(probe: MediaProbe): string {
  const header = ['#', 'type', 'codec', 'details', 'lang', 'flags', 'title'];
  const rows = probe.streams.map((stream) => [
    String(stream.index),
    stream.type,
    stream.codec,
    stream.type === 'subtitle' && stream.details === 'bitmap' ? 'bitmap (needs OCR)' : stream.details,
    stream.language ?? '-',
    [stream.isDefault ? 'default' : '', stream.isForced ? 'forced' : ''].filter(Boolean).join(',') || '-',
    stream.title ?? '',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]): string =>
    `  ${cells.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd();
  const chapters = probe.chapterCount ? `, ${probe.chapterCount} chapters` : '';
  const title = `${probe.file}: ${probe.format}, ${formatDuration(probe.durationMs)}, ${probe.streams.length} streams${chapters}`;
  return [title, line(header), ...rows.map(line)].join('\n');
}
