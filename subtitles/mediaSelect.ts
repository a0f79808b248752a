import { SubflowError } from '../errors.js';
import type { SubtitleStream } from './cue.js';
import { iso6392Codes, languageMatches } from './mediaLanguages.js';
import { describeStream, type MediaProbe } from './mediaProbe.js';

/** Which subtitle stream to take from a media file. */
export interface StreamChoice {
  /** ffmpeg's absolute stream index (as `subflow inspect` lists it). Wins over `language`. */
  stream?: number;
  /** ISO 639-2 (`spa`) or 639-1 (`es`) code of the wanted track. Wins over `preferLanguage`. */
  language?: string;
  /**
   * The language the translating model reads (ISO 639-1 or -2), when it records one. Without `stream`
   * or `language`, a text track in it is taken over a default track in another language, an untagged
   * track is taken when none is in it, and tracks only in other languages are refused.
   */
  preferLanguage?: string;
}

/** The stream picked, and why it was (for the line that tells the user). */
export interface ChosenStream {
  stream: SubtitleStream;
  /** "the stream asked for", "the default one of 2 text subtitle streams" … */
  reason: string;
}

function listStreams(streams: readonly SubtitleStream[]): string {
  return streams.length ? streams.map(describeStream).join(', ') : 'none';
}

function bitmapError(probe: MediaProbe, streams: readonly SubtitleStream[]): SubflowError {
  const message =
    streams.length === 1
      ? `stream ${describeStream(streams[0])} of ${probe.file} is a bitmap subtitle and needs OCR`
      : `the subtitle streams ${listStreams(streams)} of ${probe.file} are bitmap subtitles and need OCR`;
  return new SubflowError('SUBTITLE_BITMAP', message, {
    file: probe.file,
    hint: 'subflow translates text subtitles only: convert the track to SRT with an OCR tool (e.g. Subtitle Edit) and pass that file',
  });
}

function ambiguous(probe: MediaProbe, candidates: readonly SubtitleStream[], what: string): SubflowError {
  return new SubflowError(
    'BAD_ARGUMENT',
    `${probe.file} has ${candidates.length} ${what}: ${listStreams(candidates)}; which one is meant is not clear`,
    {
      file: probe.file,
      key: 'stream',
      hint: `choose one with --stream N (N from: ${candidates.map((s) => s.index).join(', ')})`,
    },
  );
}

/** Picks the one subtitle stream to extract, or says precisely why there is none. */
export function selectSubtitleStream(probe: MediaProbe, choice: StreamChoice = {}): SubtitleStream {
  return chooseSubtitleStream(probe, choice).stream;
}

/** {@link selectSubtitleStream} with the reason for the choice. */
export function chooseSubtitleStream(probe: MediaProbe, choice: StreamChoice = {}): ChosenStream {
  const subtitles = probe.subtitleStreams;
  const textStreams = subtitles.filter((stream) => stream.kind === 'text');
  if (subtitles.length === 0) {
    const others =
      probe.streams.map((s) => `#${s.index} ${s.type} (${s.codec})`).join(', ') || 'no streams at all';
    throw new SubflowError('SUBTITLE_NO_STREAM', `${probe.file} has no subtitle stream (it has ${others})`, {
      file: probe.file,
      hint: 'pass a subtitle file (.srt, .vtt, .ass) instead, or a video that carries a subtitle track',
    });
  }

  if (choice.stream !== undefined) {
    const chosen = subtitles.find((stream) => stream.index === choice.stream);
    if (chosen?.kind === 'bitmap') throw bitmapError(probe, [chosen]);
    if (chosen) return { stream: chosen, reason: 'the stream asked for' };
    const other = probe.streams.find((stream) => stream.index === choice.stream);
    const what = other
      ? `is ${/^[aeiou]/.test(other.type) ? 'an' : 'a'} ${other.type} stream (${other.codec}), not a subtitle`
      : 'does not exist';
    throw new SubflowError(
      'SUBTITLE_NO_STREAM',
      `stream #${choice.stream} of ${probe.file} ${what}; its subtitle streams are ${listStreams(subtitles)}`,
      { file: probe.file, key: 'stream', hint: 'run `subflow inspect FILE` to list the streams' },
    );
  }

  if (choice.language !== undefined) {
    const codes = iso6392Codes(choice.language);
    const matching = subtitles.filter((stream) => languageMatches(stream.language, codes));
    const matchingText = matching.filter((stream) => stream.kind === 'text');
    if (matchingText.length === 0 && matching.length > 0) throw bitmapError(probe, matching);
    if (matchingText.length === 0) {
      throw new SubflowError(
        'SUBTITLE_NO_STREAM',
        `${probe.file} has no subtitle stream in language "${choice.language}" (${codes.join('/')}); it has ${listStreams(subtitles)}`,
        { file: probe.file, key: 'language', hint: 'pick another language or a stream with --stream N' },
      );
    }
    return pickOne(probe, matchingText, `text subtitle streams in "${choice.language}"`);
  }

  if (textStreams.length === 0) throw bitmapError(probe, subtitles);
  if (choice.preferLanguage !== undefined) return pickForModel(probe, choice.preferLanguage);
  return pickOne(probe, textStreams, 'text subtitle streams');
}

/**
 * The track a model reading `language` can translate: one in that language, else one without a
 * language tag. A track tagged with another language is never taken on a guess (an English track
 * through a Spanish model gives nonsense), however it is flagged; `--stream` still takes it.
 */
function pickForModel(probe: MediaProbe, language: string): ChosenStream {
  const codes = iso6392Codes(language, 'source language');
  const subtitles = probe.subtitleStreams;
  const textStreams = subtitles.filter((stream) => stream.kind === 'text');
  const named = `the model's source language ${language} (${codes.join('/')})`;
  const matching = textStreams.filter((stream) => languageMatches(stream.language, codes));
  if (matching.length > 0) return pickOne(probe, matching, `text subtitle streams in ${named}`);
  const bitmaps = subtitles.filter((s) => s.kind === 'bitmap' && languageMatches(s.language, codes));
  if (bitmaps.length > 0) throw bitmapError(probe, bitmaps);
  const untagged = textStreams.filter((stream) => !stream.language || stream.language === 'und');
  if (untagged.length > 0) return pickOne(probe, untagged, 'text subtitle streams without a language tag');
  throw new SubflowError(
    'SUBTITLE_NO_STREAM',
    `${probe.file} has no text subtitle stream in ${named}; it has ${listStreams(subtitles)}`,
    {
      file: probe.file,
      key: 'stream',
      hint: `translate another video or use a model for that language; if a track is labelled wrongly, take it with --stream N (N from: ${textStreams.map((s) => s.index).join(', ')})`,
    },
  );
}

/** The only candidate, else the only default one among them, else an ambiguity error. */
function pickOne(probe: MediaProbe, candidates: readonly SubtitleStream[], what: string): ChosenStream {
  if (candidates.length === 1) return { stream: candidates[0], reason: `the only ${singular(what)}` };
  const defaults = candidates.filter((stream) => stream.isDefault);
  if (defaults.length === 1)
    return { stream: defaults[0], reason: `the default one of ${candidates.length} ${what}` };
  throw ambiguous(probe, candidates, what);
}

function singular(what: string): string {
  return what.replace('streams', 'stream');
}
