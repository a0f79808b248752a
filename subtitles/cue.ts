/** Subtitle formats subflow reads and writes. */
export type SubtitleFormat = 'srt' | 'vtt' | 'ass';

/**
 * One timed cue. Times in milliseconds. `text` uses `\n` between lines and keeps the format's own
 * inline markup (`<i>`, ASS `{\i1}` overrides, `\N` is turned into `\n` for ASS on read and back on write).
 */
export interface Cue {
  start: number;
  end: number;
  text: string;
  /** Format-specific fields kept for lossless write-back (SRT index, VTT id/settings, ASS event fields). */
  extra?: Record<string, string>;
}

/** A whole subtitle file: its cues plus whatever the format needs to write it back unchanged. */
export interface SubtitleDocument {
  format: SubtitleFormat;
  cues: Cue[];
  /** Format-specific header: VTT header block, ASS [Script Info]/[V4+ Styles] sections and Format lines. */
  header?: string;
  /** Anything after the events that must survive a round trip (ASS [Fonts]/[Graphics] …). */
  trailer?: string;
}

/** A subtitle stream inside a media file, as ffprobe reports it. */
export interface SubtitleStream {
  /** ffmpeg's absolute stream index (the N of `-map 0:N`). */
  index: number;
  codec: string;
  kind: 'text' | 'bitmap';
  /** ISO 639-2 tag when the file has one. */
  language?: string;
  title?: string;
  isDefault?: boolean;
  isForced?: boolean;
}

/** A problem a lenient parse or decode worked around, with the 1-based line it was found on. */
export interface SubtitleWarning {
  message: string;
  /** 1-based line in the subtitle text (absent for whole-file issues such as encoding). */
  line?: number;
  file?: string;
}

/** Options every format parser takes. */
export interface SubtitleParseOptions {
  /** Refuse anything malformed with `SubflowError('SUBTITLE_PARSE')` instead of warning. Default false. */
  strict?: boolean;
  /** File name used in warnings and errors. */
  file?: string;
}

/** What a format parser returns: the document and what it had to work around. */
export interface SubtitleParseResult {
  document: SubtitleDocument;
  warnings: SubtitleWarning[];
}
