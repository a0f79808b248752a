import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SubflowError } from './errors.js';

/*
 * Checks every writer runs on an output path before it writes, and every command runs before it loads
 * a model: so a path that can never be written fails at once, in words, not as EEXIST after the work.
 */

/** The same file even through symlinks or "./" spellings; a path that does not exist yet is resolved via its folder. */
export async function canonicalPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    try {
      return join(await realpath(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** The input among `inputs` that `path` names (after symlinks), if any. */
export async function inputAt(path: string, inputs: readonly string[]): Promise<string | undefined> {
  const target = await canonicalPath(path);
  for (const input of inputs) if ((await canonicalPath(input)) === target) return input;
  return undefined;
}

/**
 * Throws `OUTPUT_NOT_WRITABLE` when a file can never be created at `path`: it names a folder, or one of
 * the folders it would go into is a file (`afile/out.srt` where `afile` is a file). Missing folders are
 * fine (writers create them); permissions are left to the write itself, which reports them.
 */
export async function checkOutputLocation(path: string): Promise<void> {
  if ((await statOrUndefined(path))?.isDirectory()) {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${path}: it is a folder`, {
      file: path,
      hint: 'give a file name, or a path inside that folder',
    });
  }
  await checkOutputFolders(path);
}

/** The folder half of {@link checkOutputLocation}: throws when a file stands where a folder of `path` must be. */
export async function checkOutputFolders(path: string): Promise<void> {
  // Walk up the path as the user spelled it, so the message names the part they wrote.
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    const info = await statOrUndefined(folder);
    if (info && !info.isDirectory()) {
      throw new SubflowError(
        'OUTPUT_NOT_WRITABLE',
        `cannot write ${path}: ${folder} is a file, not a folder`,
        {
          file: path,
          hint: `choose an output path that does not go through the file ${folder}`,
        },
      );
    }
    if (info || dirname(folder) === folder) return;
  }
}

async function statOrUndefined(path: string) {
  // ENOENT: not there yet; ENOTDIR: a file further up, found on the next step.
  return stat(path).catch(() => undefined);
}
