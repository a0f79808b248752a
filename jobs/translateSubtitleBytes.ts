import type { UnitTranslator } from '../operators/translateCues.js';
import type { SubtitleFormat, SubtitleWarning } from '../subtitles/cue.js';
import { parseSubtitleBytes } from '../subtitles/readSubtitleFile.js';
import { subtitleFileBytes } from '../subtitles/writeSubtitleFile.js';
import { translateSubtitleDocument, type SubtitleJobOptions } from './translateSubtitleFile.js';

/** What a subtitle file sent over the network is translated with. */
export interface SubtitleBytesJob {
  translateUnits: UnitTranslator;
  options: Partial<
    Pick<SubtitleJobOptions, 'format' | 'encoding' | 'strict' | 'bom' | 'maxLineLength' | 'maxLines'>
  >;
  signal?: AbortSignal;
}

/** A translated subtitle file held in memory. */
export interface TranslatedSubtitleBytes {
  bytes: Buffer;
  format: SubtitleFormat;
  cues: number;
  /** Decode, parse and reflow warnings, in the order they arose. */
  warnings: SubtitleWarning[];
}

/**
 * `subflow translate` for one subtitle file held in memory: the same parse, translation step and
 * writer as {@link translateSubtitleFile}, so the bytes equal what the CLI writes for the same file and
 * options. `name` picks the format when the content does not tell and appears in messages; nothing is
 * read from or written to disk. Throws `SUBTITLE_PARSE` (strict, or no format) like the CLI.
 */
export async function translateSubtitleBytes(
  bytes: Uint8Array,
  name: string,
  job: SubtitleBytesJob,
): Promise<TranslatedSubtitleBytes> {
  const { options } = job;
  const file = parseSubtitleBytes(bytes, name, { encoding: options.encoding, strict: options.strict });
  const warnings = [...file.warnings];
  const translated = await translateSubtitleDocument(file.document, {
    translateUnits: job.translateUnits,
    options,
    signal: job.signal,
    hooks: { onWarning: (warning) => void warnings.push(warning) },
  });
  const format = options.format ?? file.document.format;
  return {
    bytes: subtitleFileBytes(translated, { format, bom: options.bom }),
    format,
    cues: translated.cues.length,
    warnings,
  };
}
