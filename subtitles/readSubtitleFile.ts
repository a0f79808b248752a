import { readFile } from 'node:fs/promises';
import { SubflowError } from '../errors.js';
import type { SubtitleFormat, SubtitleParseResult } from './cue.js';
import { decodeSubtitleBytes } from './encoding.js';
import { detectFormat } from './formats.js';
import { parseRequiringCues } from './requireCues.js';

/** Options for {@link readSubtitleFile}. */
export interface ReadSubtitleFileOptions {
  /** Force a text encoding (`--encoding`); default: BOM, then UTF-8, then detection. */
  encoding?: string;
  /** Force a format; default: from the content, then the extension. */
  format?: SubtitleFormat;
  /** Refuse malformed files (`--strict`). Default false. */
  strict?: boolean;
}

/** A parsed subtitle file and how its bytes were decoded; `warnings` holds decode and parse warnings. */
export interface SubtitleFile extends SubtitleParseResult {
  path: string;
  encoding: string;
  hadBom: boolean;
}

/**
 * Reads, decodes and parses a subtitle file. The file is only read, never modified.
 * @throws SubflowError FILE_NOT_FOUND, FILE_UNREADABLE, SUBTITLE_BINARY (an image, archive, video …),
 *   SUBTITLE_NO_CUES (empty, or nothing read as a cue), SUBTITLE_PARSE (strict)
 */
export async function readSubtitleFile(
  path: string,
  options: ReadSubtitleFileOptions = {},
): Promise<SubtitleFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SubflowError('FILE_NOT_FOUND', `subtitle file ${path} does not exist`, { file: path, cause });
    }
    throw new SubflowError('FILE_UNREADABLE', `cannot read subtitle file ${path} (${code ?? 'error'})`, {
      file: path,
      cause,
      hint: 'check that it is a file and that you may read it',
    });
  }
  return parseSubtitleBytes(bytes, path, options);
}

/**
 * Decodes and parses the bytes of a subtitle file named `path` (the name only picks the format when
 * the content does not tell, and appears in messages): what {@link readSubtitleFile} does after reading.
 */
export function parseSubtitleBytes(
  bytes: Uint8Array,
  path: string,
  options: ReadSubtitleFileOptions = {},
): SubtitleFile {
  const decoded = decodeSubtitleBytes(bytes, { encoding: options.encoding, file: path });
  const format = options.format ?? detectFormat(path, decoded.text);
  const parsed = parseRequiringCues(decoded, format, { strict: options.strict, file: path });
  return {
    path,
    encoding: decoded.encoding,
    hadBom: decoded.hadBom,
    document: parsed.document,
    warnings: [...decoded.warnings, ...parsed.warnings],
  };
}
