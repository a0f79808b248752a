import * as fs from 'node:fs';
import * as path from 'node:path';
import { SubflowError } from '../errors.js';

/** One file of a folder being written: its bytes, or a file to copy. */
export type FolderFile = { name: string; bytes: Uint8Array } | { name: string; copyFrom: string };

/** Hidden sibling that holds the previous version while the new one is renamed into place. */
export function previousFolderOf(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.previous`);
}

/**
 * Writes `files` as folder `target`, all or nothing: everything goes into a hidden temp folder
 * beside the target and is fsynced, then the old folder is moved aside, the new one renamed in and
 * the old one removed. Killed at any moment, either `target` or its `.previous` sibling is a
 * complete folder (loaders fall back to `.previous`), never a half-written one.
 *
 * It is synchronous on purpose: the training stage calls it from an unsubscribe teardown, and the
 * checkpoint must be complete by the time `unsubscribe()` returns.
 * @param isOurs decides whether an existing `target` may be replaced (it refuses foreign folders)
 * @throws SubflowError OUTPUT_NOT_WRITABLE when the folder cannot be written or holds something else
 */
export function writeFolderAtomically(
  target: string,
  files: FolderFile[],
  isOurs: (dir: string) => boolean,
): void {
  const absolute = path.resolve(target);
  const parent = path.dirname(absolute);
  const base = path.basename(absolute);
  if (fs.existsSync(absolute) && !isOurs(absolute)) {
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `${target} exists and is not a subflow checkpoint`, {
      file: target,
      hint: 'choose an empty or new folder for checkpoints; subflow never replaces folders it did not write',
    });
  }
  const temp = path.join(parent, `.${base}.tmp-${process.pid}`);
  const previous = previousFolderOf(absolute);
  try {
    fs.mkdirSync(parent, { recursive: true });
    // A temp folder left by a killed save of this same target is garbage; the target is intact.
    for (const entry of fs.readdirSync(parent)) {
      if (entry.startsWith(`.${base}.tmp-`))
        fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
    fs.mkdirSync(temp);
    for (const file of files) {
      const destination = path.join(temp, file.name);
      if ('bytes' in file) writeFileDurably(destination, file.bytes);
      else writeFileDurably(destination, fs.readFileSync(file.copyFrom));
    }
    fsyncDirectory(temp);
    if (fs.existsSync(absolute)) {
      fs.rmSync(previous, { recursive: true, force: true });
      fs.renameSync(absolute, previous);
    }
    fs.renameSync(temp, absolute);
    fsyncDirectory(parent);
    fs.rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (error instanceof SubflowError) throw error;
    throw new SubflowError(
      'OUTPUT_NOT_WRITABLE',
      `cannot write checkpoint ${target}: ${(error as Error).message}`,
      {
        file: target,
        cause: error,
        hint: 'check that the folder is writable and the disk is not full',
      },
    );
  }
}

function writeFileDurably(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    let written = 0;
    while (written < bytes.byteLength) written += fs.writeSync(fd, bytes, written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes renames inside `dir` durable; not possible on every platform (Windows), where it is skipped. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Directory fsync is a durability bonus, not a correctness requirement.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
