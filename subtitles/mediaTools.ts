import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { SubflowError } from '../errors.js';

/** Where the ffmpeg and ffprobe executables are: a bare name is looked up on PATH. */
export interface MediaToolPaths {
  ffmpeg: string;
  ffprobe: string;
}

function defaultToolPaths(): MediaToolPaths {
  return { ffmpeg: process.env.FFMPEG_PATH || 'ffmpeg', ffprobe: process.env.FFPROBE_PATH || 'ffprobe' };
}

let toolPaths = defaultToolPaths();

/**
 * Points subflow at other ffmpeg/ffprobe executables; missing keys fall back to `FFMPEG_PATH` /
 * `FFPROBE_PATH` or the bare names on PATH. Called with nothing, restores those defaults.
 */
export function setMediaToolPaths(paths: Partial<MediaToolPaths> = {}): void {
  toolPaths = { ...defaultToolPaths(), ...paths };
}

/** The executables the next probe, extraction or mux will run. */
export function mediaToolPaths(): Readonly<MediaToolPaths> {
  return toolPaths;
}

/** `TOOL_MISSING` for an executable that could not be started. */
export function toolMissing(tool: 'ffmpeg' | 'ffprobe', path: string, cause: unknown): SubflowError {
  return new SubflowError('TOOL_MISSING', `${tool} is not installed or not runnable (tried "${path}")`, {
    cause,
    hint: `run scripts/setup.sh to install ffmpeg and ffprobe, or set ${tool.toUpperCase()}_PATH to the executable`,
  });
}

const runnable = new Set<string>();

/**
 * Throws `TOOL_MISSING` unless `path` (or the bare name found on PATH) is an executable file.
 * Checked before each ffmpeg run: fluent-ffmpeg crashes on a spawn error instead of reporting it.
 */
export async function assertRunnable(tool: 'ffmpeg' | 'ffprobe', path: string): Promise<void> {
  if (runnable.has(path)) return;
  const candidates = path.includes('/')
    ? [path]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, path));
  for (const candidate of candidates) {
    const ok = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) {
      runnable.add(path);
      return;
    }
  }
  throw toolMissing(tool, path, undefined);
}

/** True when spawning failed because the executable does not exist or may not be run. */
export function isSpawnFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR';
}

/** The last `lines` non-empty lines of a tool's stderr, each indented for an error message. */
export function stderrTail(stderr: string, lines = 6): string {
  const kept = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-lines);
  return kept.map((line) => `    ${line}`).join('\n');
}

/** `MEDIA_INVALID` for a file ffmpeg/ffprobe could not read, quoting the end of its stderr. */
export function mediaInvalid(file: string, tool: string, stderr: string, cause?: unknown): SubflowError {
  const tail = stderrTail(stderr);
  return new SubflowError(
    'MEDIA_INVALID',
    `${tool} could not read ${file}: it is corrupt, truncated or not a media file${tail ? `\n${tool} said:\n${tail}` : ''}`,
    { file, cause, hint: 'check that the file plays; re-download or re-rip it if it is truncated' },
  );
}

/** `INTERRUPTED` for work stopped by an AbortSignal. */
export function interrupted(what: string, cause?: unknown): SubflowError {
  return new SubflowError('INTERRUPTED', `${what} was interrupted`, { cause });
}
