import { extname } from 'node:path';
import { SubflowError } from '../errors.js';
import type { SubtitleDocument, SubtitleFormat } from './cue.js';
import type { MediaProbe } from './mediaProbe.js';

/*
 * The ffmpeg arguments for extracting and muxing subtitle tracks, as plain data (media.ts runs them).
 *
 * Timestamps. ffmpeg, unless told `-copyts`, subtracts the container's start time from every
 * packet it reads, so extracted cue times are relative to the file's start (what players show).
 * Files rarely start at exactly 0. Measured with ffprobe on the lavfi fixtures (ffmpeg 5.1):
 * - MKV with AAC: the encoder's 1024 priming samples give the first audio packet pts -23 ms, so
 *   the Matroska muxer shifts the whole file by +23 ms: audio starts at 0, video at 23 ms, and a
 *   cue written for 0.500 s is stored (and extracted) at 0.523 s, still on the same video frame.
 * - WebM with Opus: the demuxer reports the 6.5 ms pre-skip as audio pts -7 ms; format start -7 ms;
 *   a cue at 0.500 s is stored at 0.507 s and extracted at 0.514 s.
 * - MP4 with AAC: an edit list hides the priming; everything starts at 0 and cues are exact.
 * Muxing therefore copies the input's packets with `-copyts` (their timestamps untouched, and
 * `-avoid_negative_ts disabled` so the muxer does not shift them either) and offsets the new track
 * by the container's start time (`-itsoffset`), which lands each cue on exactly the packet time the
 * source track's cue has. One shift remains that no option avoids in FFmpeg 5.1: its Matroska
 * muxer writes the Opus CodecDelay without adding it to the packets (the line is commented out in
 * matroskaenc.c; later FFmpeg applies it), so the demuxer subtracts it twice and any remux of Opus
 * in WebM/Matroska (even a bare `ffmpeg -i in.webm -c copy out.webm`) moves the audio 6.5 ms
 * earlier. Video and every subtitle packet keep their times.
 */

/** How a text subtitle codec is pulled out: copied when the format matches, else re-encoded to SRT. */
export interface ExtractionPlan {
  /** The format of the text ffmpeg writes. */
  format: SubtitleFormat;
  /** ffmpeg muxer (`-f`) and encoder (`-c:s`). */
  muxer: string;
  encoder: string;
}

/** The extraction for one subtitle codec. */
export function extractionPlan(codec: string): ExtractionPlan {
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

/** ffmpeg muxer names of the containers a track can be added to. */
export type Container = 'matroska' | 'webm' | 'mp4' | 'mov';

const CONTAINERS: Record<string, Container> = {
  '.mkv': 'matroska',
  '.mka': 'matroska',
  '.webm': 'webm',
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mov',
};

/** ffprobe's format name list for each container family: packets copy within a family only. */
const FAMILIES: Record<Container, string> = {
  matroska: 'matroska',
  webm: 'matroska',
  mp4: 'mp4',
  mov: 'mp4',
};

/**
 * The container `output`'s extension asks for. Throws `BAD_ARGUMENT` for one that cannot take a
 * text track, or one of another family than the input (MP4 → MKV would need stream conversions).
 */
export function outputContainer(output: string, probe: MediaProbe): Container {
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
  if (!probe.format.split(',').includes(FAMILIES[container])) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `${output} would be ${container} but ${probe.file} is ${probe.format}: muxing copies streams and keeps the container`,
      { file: output, hint: `give the output the input's extension (${extname(probe.file) || 'the same'})` },
    );
  }
  return container;
}

/** The subtitle text subflow hands ffmpeg for a container, and the encoder the new track gets there. */
export interface MuxPlan {
  /** Format of the temp subtitle file ffmpeg reads. */
  format: SubtitleFormat;
  /** `copy` when the container stores that format as is, else the encoder (`mov_text`). */
  encoder: string;
}

/** MKV: srt, or ass for an ASS document; WebM: webvtt; MP4/MOV: mov_text. */
export function muxPlan(container: Container, doc: SubtitleDocument): MuxPlan {
  switch (container) {
    case 'matroska':
      return { format: doc.format === 'ass' ? 'ass' : 'srt', encoder: 'copy' };
    case 'webm':
      return { format: 'vtt', encoder: 'copy' };
    case 'mp4':
    case 'mov':
      // mov_text takes SRT's <i>/<b>/<u> and ASS overrides alike; keep the document's own format.
      return { format: doc.format, encoder: 'mov_text' };
  }
}

const DEMUXERS: Record<SubtitleFormat, string> = { srt: 'srt', vtt: 'webvtt', ass: 'ass' };

/** What the new track should carry. */
export interface NewTrack {
  /** ISO 639-2 code. */
  language: string;
  title?: string;
  setDefault?: boolean;
}

/** ffmpeg options for a mux: those before the subtitle input's `-i`, and the output's. */
export interface MuxArguments {
  subtitleInputOptions: string[];
  outputOptions: string[];
}

/** The arguments that add the subtitle file (input 1) to every stream of the probed input (input 0). */
export function muxArguments(
  probe: MediaProbe,
  container: Container,
  plan: MuxPlan,
  track: NewTrack,
): MuxArguments {
  const k = probe.subtitleStreams.length; // the new track's index among the output's subtitle streams
  const trackOptions = [`-c:s:${k}`, plan.encoder, `-metadata:s:s:${k}`, `language=${track.language}`];
  if (track.title !== undefined) {
    trackOptions.push(`-metadata:s:s:${k}`, `title=${track.title}`);
    // MP4/MOV store no track title; players show the handler name instead.
    if (container === 'mp4' || container === 'mov') {
      trackOptions.push(`-metadata:s:s:${k}`, `handler_name=${track.title}`);
    }
  }
  // Always give the new track a disposition: with none given, the ffmpeg CLI marks the first
  // subtitle track default whenever no track of that type is, changing an original stream.
  trackOptions.push(`-disposition:s:${k}`, track.setDefault ? 'default' : '0');
  if (track.setDefault) {
    probe.subtitleStreams.forEach((stream, position) => {
      if (stream.isDefault) trackOptions.push(`-disposition:s:${position}`, '-default');
    });
  }
  return {
    subtitleInputOptions: ['-f', DEMUXERS[plan.format], '-itsoffset', `${probe.startMs / 1000}`],
    // prettier-ignore
    outputOptions: [
      '-nostdin', '-v', 'error', '-copyts',
      '-map', '0', '-map', '1:0', '-map_metadata', '0', '-map_chapters', '0', '-c', 'copy',
      ...trackOptions,
      '-avoid_negative_ts', 'disabled', '-f', container,
    ],
  };
}
