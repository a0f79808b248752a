import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { SubflowError } from '../errors.js';

/** One line of a text file, without its line ending; `number` is 1-based. */
export interface NumberedLine {
  text: string;
  number: number;
}

const NEWLINE = 0x0a;

/**
 * Streams the lines of a UTF-8 text file (plain or `.gz`) in bounded memory, pulled by the consumer.
 * A UTF-8 BOM and `\r\n` endings are removed. Invalid UTF-8 is an error naming file and line rather
 * than silently turning into U+FFFD, because a corrupt line would otherwise poison a vocabulary.
 */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  await assertReadableFile(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let pending: Buffer[] = [];
  let number = 0;
  const decode = (bytes: Buffer): string => {
    number += 1;
    try {
      let text = decoder.decode(bytes);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      return text;
    } catch (cause) {
      throw new SubflowError('INVALID_UTF8', `${file}:${number}: line is not valid UTF-8`, {
        file,
        line: number,
        cause,
        hint: 'convert the file to UTF-8 (e.g. iconv -f cp1252 -t utf-8) or remove the line',
      });
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      let newline = chunk.indexOf(NEWLINE, start);
      while (newline !== -1) {
        const piece = chunk.subarray(start, newline);
        const bytes = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        yield { text: decode(bytes), number };
        start = newline + 1;
        newline = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length) yield { text: decode(Buffer.concat(pending)), number };
  } catch (error) {
    if (error instanceof SubflowError) throw error;
    throw new SubflowError('FILE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: file.endsWith('.gz') ? 'the gzip file may be truncated; rebuild or re-download it' : undefined,
    });
  } finally {
    raw.destroy();
  }
}

/** Throws FILE_NOT_FOUND / FILE_UNREADABLE with the path, before any streaming starts. */
export async function assertReadableFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw new SubflowError('FILE_UNREADABLE', `${file} is not a file`, { file });
    }
  } catch (cause) {
    if (cause instanceof SubflowError) throw cause;
    throw new SubflowError('FILE_NOT_FOUND', `${file} does not exist`, {
      file,
      cause,
      hint: 'check the path (relative paths in configs are resolved against the config file)',
    });
  }
}
