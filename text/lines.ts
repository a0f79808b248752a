import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { SubflowError } from '../errors.js';

/** One line of a text file, without its line ending; `number` is 1-based. */
export interface NumberedLine {
  text: string;
  number: number;
}

/** A line whose invalid UTF-8 was replaced by U+FFFD (see {@link ReadLinesOptions.onInvalidUtf8}). */
export interface InvalidUtf8Warning {
  /** The file, or `stdin` for a stream. */
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Name of a stream input in messages. Default `stdin`. */
  name?: string;
  /**
   * Replace invalid UTF-8 with U+FFFD and tell this callback the line, instead of failing with
   * `INVALID_UTF8`. Text to translate takes this; a training corpus should not, because a corrupt
   * line would poison a vocabulary.
   */
  onInvalidUtf8?: (warning: InvalidUtf8Warning) => void;
  /** Closes a file opened here (a FIFO may never end by itself) and stops with `INTERRUPTED`. */
  signal?: AbortSignal;
}

const NEWLINE = 0x0a;

/**
 * Streams the lines of UTF-8 text in bounded memory, pulled by the consumer: a file (plain or `.gz`;
 * any readable path, so FIFOs, `/dev/stdin` and `<(…)` work) or a stream such as `process.stdin`. The
 * one line reader of every command, so all of them count lines alike: a line ends at LF only, a UTF-8
 * BOM and the CR of CRLF are removed, a lone CR stays inside its line. Invalid UTF-8 is an error naming
 * file and line, or a warning when `onInvalidUtf8` is given.
 */
export async function* readLines(
  input: string | NodeJS.ReadableStream,
  options: ReadLinesOptions = {},
): AsyncGenerator<NumberedLine> {
  const file = typeof input === 'string' ? input : (options.name ?? 'stdin');
  if (typeof input === 'string') await assertReadableFile(input);
  const raw =
    typeof input === 'string'
      ? createReadStream(input, { highWaterMark: 1 << 16, signal: options.signal })
      : input;
  const gzipped = typeof input === 'string' && input.endsWith('.gz');
  const chunks = (gzipped ? raw.pipe(createGunzip()) : raw) as AsyncIterable<Buffer | string>;
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let pending: Buffer[] = [];
  let number = 0;
  const decode = (bytes: Buffer): string => {
    number += 1;
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch (cause) {
      if (!options.onInvalidUtf8) {
        throw new SubflowError('INVALID_UTF8', `${file}:${number}: line is not valid UTF-8`, {
          file,
          line: number,
          cause,
          hint: 'convert the file to UTF-8 (e.g. iconv -f cp1252 -t utf-8) or remove the line',
        });
      }
      text = lenient.decode(bytes);
      options.onInvalidUtf8({
        file,
        line: number,
        message: 'not valid UTF-8; the bad bytes were replaced by U+FFFD',
      });
    }
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  try {
    for await (const data of chunks) {
      // A stream someone set an encoding on yields strings; lines are still split on bytes.
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
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
    if (options.signal?.aborted) {
      throw new SubflowError('INTERRUPTED', `reading ${file} was stopped after line ${number}`, { file });
    }
    throw new SubflowError('FILE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: gzipped ? 'the gzip file may be truncated; rebuild or re-download it' : undefined,
    });
  } finally {
    // Only a stream opened here is closed: stdin belongs to the process.
    if (typeof input === 'string') (raw as ReturnType<typeof createReadStream>).destroy();
  }
}

/**
 * Throws FILE_NOT_FOUND / FILE_UNREADABLE with the path before any streaming starts. Any readable
 * path that is not a folder passes: regular files, FIFOs and character devices alike.
 */
export async function assertReadableFile(file: string): Promise<void> {
  const info = await stat(file).catch((cause: unknown) => {
    throw new SubflowError('FILE_NOT_FOUND', `${file} does not exist`, {
      file,
      cause,
      hint: 'check the path (relative paths in configs are resolved against the config file)',
    });
  });
  if (info.isDirectory()) {
    throw new SubflowError('FILE_UNREADABLE', `${file} is a folder, not a file`, {
      file,
      hint: 'name a text file inside it',
    });
  }
  await access(file, constants.R_OK).catch((cause: unknown) => {
    throw new SubflowError(
      'FILE_UNREADABLE',
      `${file} cannot be read (${(cause as NodeJS.ErrnoException).code})`,
      {
        file,
        cause,
        hint: 'check its permissions',
      },
    );
  });
}
