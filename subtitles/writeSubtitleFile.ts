import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SubflowError } from '../errors.js';
import { checkOutputLocation, inputAt, type ProtectedInputs } from '../outputPath.js';
import type { SubtitleDocument, SubtitleFormat } from './cue.js';
import { encodeSubtitleText } from './encoding.js';
import { formatFromFileName, writeSubtitles } from './formats.js';

/** Options for {@link writeSubtitleFile}. */
export interface WriteSubtitleFileOptions {
  /** Output format; default: from the path's extension, else the document's own. */
  format?: SubtitleFormat;
  /** Start the file with a UTF-8 BOM. Default false. */
  bom?: boolean;
  /**
   * Paths read to make this document: writing over one of them is refused (`OUTPUT_IS_INPUT`). A run
   * writing many files passes one `guardInputs(...)` so the inputs are resolved once, not per file.
   */
  inputs?: ProtectedInputs;
  /** Stops the write; the temporary file is removed and nothing appears under `path`. */
  signal?: AbortSignal;
}

// Cleanup must not hide the error that made it necessary (rm fails with ENOTDIR when the folder is a file).
async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

function notWritable(path: string, cause: unknown): SubflowError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  return new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${path} (${code})`, {
    file: path,
    cause,
    hint: 'choose an output folder you may write to (--out)',
  });
}

/** The bytes {@link writeSubtitleFile} writes for a document: its text in `format` (default its own), UTF-8. */
export function subtitleFileBytes(
  document: SubtitleDocument,
  options: { format?: SubtitleFormat; bom?: boolean } = {},
): Buffer {
  return encodeSubtitleText(writeSubtitles(document, { format: options.format ?? document.format }), {
    bom: options.bom,
  });
}

/**
 * Fails when `path` is one of `inputs` (after symlinks) or can never be written (it is a folder, or a
 * file stands where one of its folders must be). Run before translating, so the mistake shows at once.
 * @throws SubflowError OUTPUT_IS_INPUT, OUTPUT_NOT_WRITABLE
 */
export async function checkSubtitleOutput(path: string, inputs: ProtectedInputs = []): Promise<void> {
  const input = await inputAt(path, inputs);
  if (input !== undefined) {
    throw new SubflowError('OUTPUT_IS_INPUT', `refusing to write ${path} over the input ${input}`, {
      file: path,
      hint: 'choose another output path (--out); inputs are never modified',
    });
  }
  await checkOutputLocation(path);
}

/**
 * Writes a subtitle document as UTF-8: to a temporary file in the target folder, flushed to disk, then
 * renamed over `path`, so an interrupted run never leaves a half-written file under the final name.
 * Creates the folder if needed. Returns the absolute path written.
 */
export async function writeSubtitleFile(
  path: string,
  document: SubtitleDocument,
  options: WriteSubtitleFileOptions = {},
): Promise<string> {
  await checkSubtitleOutput(path, options.inputs);
  const target = resolve(path);
  const format = options.format ?? formatFromFileName(target) ?? document.format;
  const bytes = subtitleFileBytes(document, { format, bom: options.bom });
  const folder = dirname(target);
  const temp = join(folder, `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(folder, { recursive: true });
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    await removeQuietly(temp);
    throw notWritable(path, cause);
  }
  if (options.signal?.aborted) {
    await removeQuietly(temp);
    throw new SubflowError('INTERRUPTED', `writing ${path} was stopped; nothing was written`, { file: path });
  }
  try {
    await rename(temp, target);
  } catch (cause) {
    await removeQuietly(temp);
    throw notWritable(path, cause);
  }
  return target;
}
