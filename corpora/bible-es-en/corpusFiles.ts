import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SubflowError } from '../../errors.js';

/** Hex sha256 of the bytes. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Gzip (level 9) whose bytes depend only on the input and the zlib build: no file name, mtime 0, and
 * the OS byte pinned to 3 (Unix), which zlib would otherwise set from the platform it was compiled for.
 */
export function gzipDeterministic(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 9 });
  gz[9] = 3;
  return gz;
}

/** Writes `data` to a temporary file beside `path` and renames it into place, so readers never see half a file. */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${path}`, {
      file: path,
      hint: 'check that the folder exists and is writable',
      cause: error,
    });
  }
}

/** Text of a corpus file, gunzipped when its name ends in `.gz`. */
export function readCorpusText(path: string): string {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    throw new SubflowError('FILE_NOT_FOUND', `cannot read ${path}`, {
      file: path,
      hint: 'rebuild the corpus with `npx tsx corpora/bible-es-en/build.ts`',
      cause: error,
    });
  }
  return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
}

/** Lines of a one-item-per-line text (its final newline ends the last line, it does not start another). */
export function textLines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}
