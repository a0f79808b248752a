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

/**
 * Inputs that no output may overwrite, each resolved through symlinks once, when first asked: a run
 * checks every output against every input, and resolving them all again for each output made the
 * checks grow with the square of the files. Outputs are still resolved at every check.
 */
export interface InputGuard {
  /** The inputs as given. */
  readonly paths: readonly string[];
  /** The input that `path` names (after symlinks), if any. */
  inputAt(path: string): Promise<string | undefined>;
}

/** Inputs as a plain list (resolved afresh at each check) or an {@link InputGuard} made once for a run. */
export type ProtectedInputs = readonly string[] | InputGuard;

/** An {@link InputGuard} over `inputs` (itself when it already is one). */
export function guardInputs(inputs: ProtectedInputs): InputGuard {
  if (!Array.isArray(inputs)) return inputs as InputGuard;
  const paths = inputs as readonly string[];
  let resolved: Promise<Map<string, string>> | undefined;
  const byCanonicalPath = async () => {
    const canonical = await Promise.all(paths.map((input) => canonicalPath(input)));
    const found = new Map<string, string>();
    // The first input of a path wins, as the old linear search found it first.
    canonical.forEach((key, k) => {
      if (!found.has(key)) found.set(key, paths[k]);
    });
    return found;
  };
  return {
    paths,
    async inputAt(path) {
      if (paths.length === 0) return undefined;
      resolved ??= byCanonicalPath();
      const [found, target] = await Promise.all([resolved, canonicalPath(path)]);
      return found.get(target);
    },
  };
}

/** The input among `inputs` that `path` names (after symlinks), if any. */
export async function inputAt(path: string, inputs: ProtectedInputs): Promise<string | undefined> {
  return guardInputs(inputs).inputAt(path);
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
