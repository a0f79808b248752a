import { extname } from 'node:path';
import { SubflowError } from '../errors.js';
import type { SubtitleDocument, SubtitleFormat, SubtitleParseOptions, SubtitleParseResult } from './cue.js';
import * as ass from './ass.js';
import { convertDocument } from './convert.js';
import * as srt from './srt.js';
import * as vtt from './vtt.js';

export { convertDocument } from './convert.js';

/** One place that knows every format: parse, write, detect and convert. */

const CODECS = { srt, vtt, ass } as const;

const EXTENSIONS: Record<string, SubtitleFormat> = {
  '.srt': 'srt',
  '.vtt': 'vtt',
  '.ass': 'ass',
  '.ssa': 'ass',
};

/** Parses subtitle text of a known format. */
export function parseSubtitles(
  text: string,
  format: SubtitleFormat,
  options: SubtitleParseOptions = {},
): SubtitleParseResult {
  return CODECS[format].parse(text, options);
}

/** Options for {@link writeSubtitles}. */
export interface WriteSubtitlesTextOptions {
  /** Write in this format, converting the document first when it is another one. Default: the document's own. */
  format?: SubtitleFormat;
}

/** Serialises a document to text (LF line ends, no BOM: see `encodeSubtitleText` for bytes). */
export function writeSubtitles(doc: SubtitleDocument, options: WriteSubtitlesTextOptions = {}): string {
  const target = convertDocument(doc, options.format ?? doc.format);
  return CODECS[target.format].write(target);
}

/** The format for a file extension (`.srt`, `.vtt`, `.ass`, `.ssa`), or undefined. */
export function formatFromFileName(fileName: string): SubtitleFormat | undefined {
  return EXTENSIONS[extname(fileName).toLowerCase()];
}

/**
 * The format of a subtitle file: by content first (a `WEBVTT` first line, a `[Script Info]` section,
 * an SRT timing line), then by extension. Throws `SUBTITLE_PARSE` when neither tells.
 */
export function detectFormat(fileName: string, text: string): SubtitleFormat {
  const head = text.replace(/^\uFEFF/, '').slice(0, 4096);
  if (/^WEBVTT(?:[ \t\r\n]|$)/.test(head)) return 'vtt';
  if (/^\s*\[Script Info\]/im.test(head) || /^\s*\[V4\+? Styles\]/im.test(head)) return 'ass';
  const byName = formatFromFileName(fileName);
  if (byName) return byName;
  if (/^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}(?::\d{2})?[,.]\d{1,3}\s*-->/m.test(head)) return 'srt';
  throw new SubflowError('SUBTITLE_PARSE', `cannot tell the subtitle format of ${fileName}`, {
    file: fileName,
    hint: 'name the file .srt, .vtt or .ass, or pass the format explicitly',
  });
}
