import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SubflowError } from '../errors.js';
import { checkOutputLocation, inputAt } from '../outputPath.js';

/** A text file being written line by line; it appears under its name only on `commit`. */
export interface TextOutput {
  write(line: string): Promise<void>;
  /** Flushes, closes and renames the temp file into place. */
  commit(): Promise<void>;
  /** Closes and removes the temp file (after an error or an interrupt). */
  abort(): Promise<void>;
}

/**
 * Fails when `path` is one of `inputs` or can never be written (a file where a folder must be); commands
 * call it before loading a model, so the mistake shows before the work.
 * @throws SubflowError OUTPUT_IS_INPUT, OUTPUT_NOT_WRITABLE
 */
export async function checkTextOutput(path: string, inputs: readonly string[] = []): Promise<void> {
  if ((await inputAt(path, inputs)) !== undefined) {
    throw new SubflowError('OUTPUT_IS_INPUT', `${path} is also an input; refusing to overwrite it`, {
      file: path,
      hint: 'write the output to another file',
    });
  }
  await checkOutputLocation(path);
}

/**
 * Opens `path` for writing through a temporary file in the same folder, so an interrupted run never
 * leaves a half-written file under the final name. Refuses to overwrite one of `inputs`.
 * @throws SubflowError OUTPUT_IS_INPUT, OUTPUT_NOT_WRITABLE
 */
export async function openTextOutput(path: string, inputs: readonly string[] = []): Promise<TextOutput> {
  await checkTextOutput(path, inputs);
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  let stream: WriteStream;
  try {
    await mkdir(dirname(target), { recursive: true });
    stream = createWriteStream(temp, { encoding: 'utf8' });
    await new Promise<void>((ok, fail) => stream.once('open', () => ok()).once('error', fail));
  } catch (cause) {
    throw notWritable(path, cause);
  }
  const close = () =>
    new Promise<void>((ok, fail) => stream.end((error?: Error | null) => (error ? fail(error) : ok())));
  return {
    write: (line) =>
      new Promise<void>((ok, fail) =>
        stream.write(`${line}\n`, (error) => (error ? fail(notWritable(path, error)) : ok())),
      ),
    commit: async () => {
      try {
        await close();
        await rename(temp, target);
      } catch (cause) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw notWritable(path, cause);
      }
    },
    abort: async () => {
      await close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
    },
  };
}

function notWritable(path: string, cause: unknown): SubflowError {
  return new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${path} (${(cause as Error).message})`, {
    file: path,
    cause,
    hint: 'choose a file in a folder you may write to',
  });
}

/**
 * Writes `text` (plus a final newline) to `path` through a temp file renamed into place, so a reader
 * sees the old file or the new one, never half of one.
 * @throws SubflowError OUTPUT_IS_INPUT, OUTPUT_NOT_WRITABLE
 */
export async function writeTextFile(
  path: string,
  text: string,
  inputs: readonly string[] = [],
): Promise<void> {
  const output = await openTextOutput(path, inputs);
  try {
    await output.write(text.replace(/\n$/, ''));
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}
