import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { SubflowError } from '../errors.js';
import type { SubtitleFormat } from '../subtitles/cue.js';
import { formatFromFileName } from '../subtitles/formats.js';
import { checkOutputFolders, guardInputs } from '../outputPath.js';
import { checkSubtitleOutput } from '../subtitles/writeSubtitleFile.js';

/*
 * What `subflow translate` works on and where its outputs go. INPUT arguments are files or folders
 * (searched recursively); outputs are named NAME.<to>.<ext> beside their input, or under --out.
 */

/** Extensions of videos found when a folder is searched. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.mkv',
  '.mp4',
  '.m4v',
  '.mov',
  '.webm',
  '.avi',
]);

/** File extension of each subtitle format written. */
export const FORMAT_EXTENSIONS: Record<SubtitleFormat, string> = { srt: '.srt', vtt: '.vtt', ass: '.ass' };

/** One file to translate. */
export interface InputFile {
  path: string;
  kind: 'video' | 'subtitle';
  /** The folder argument it was found in (its sub-folders are kept under --out), if any. */
  root?: string;
}

/** An INPUT argument that could not be used (missing, unreadable), reported like a failed file. */
export interface UnusableInput {
  path: string;
  error: SubflowError;
}

/** The files behind the INPUT arguments. */
export interface CollectedInputs {
  files: InputFile[];
  unusable: UnusableInput[];
}

/** Options of {@link collectInputs}. */
export interface CollectOptions {
  /**
   * Language codes of the translation (`eng`, `en`): files in searched folders named `NAME.eng.srt`
   * or `NAME.eng.mkv` are outputs of an earlier run and are skipped, not translated again.
   */
  targetLanguages?: readonly string[];
}

/** The kind of a file given directly: subtitles by extension, anything else is probed as a video. */
function kindOf(path: string): InputFile['kind'] {
  return formatFromFileName(path) ? 'subtitle' : 'video';
}

function isEarlierOutput(name: string, targetLanguages: readonly string[]): boolean {
  const stem = basename(name, extname(name));
  return targetLanguages.some((code) => stem.toLowerCase().endsWith(`.${code.toLowerCase()}`));
}

/** Videos and subtitle files under `dir`, depth first, sorted by name; hidden entries are skipped. */
async function searchFolder(dir: string, root: string, options: CollectOptions): Promise<InputFile[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: InputFile[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await searchFolder(path, root, options)));
      continue;
    }
    if (!entry.isFile() || isEarlierOutput(entry.name, options.targetLanguages ?? [])) continue;
    const extension = extname(entry.name).toLowerCase();
    if (VIDEO_EXTENSIONS.has(extension)) files.push({ path, kind: 'video', root });
    else if (formatFromFileName(entry.name)) files.push({ path, kind: 'subtitle', root });
  }
  return files;
}

/**
 * Expands INPUT arguments into the files to translate, in argument order (folders recursively, by
 * name). A missing argument is returned in `unusable` so the other inputs still run. Throws
 * `FILE_NOT_FOUND` when no argument yields a single file.
 */
export async function collectInputs(
  args: readonly string[],
  options: CollectOptions = {},
): Promise<CollectedInputs> {
  const files: InputFile[] = [];
  const unusable: UnusableInput[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info) {
      unusable.push({
        path: arg,
        error: new SubflowError('FILE_NOT_FOUND', `${arg} does not exist`, { file: arg }),
      });
    } else if (info.isDirectory()) {
      const found = await searchFolder(arg, arg, options);
      if (found.length === 0) {
        unusable.push({
          path: arg,
          error: new SubflowError('FILE_NOT_FOUND', `${arg} holds no videos or subtitle files`, {
            file: arg,
            hint: `subflow looks for ${[...VIDEO_EXTENSIONS].join(' ')} and .srt .vtt .ass .ssa files`,
          }),
        });
      }
      files.push(...found);
    } else {
      files.push({ path: arg, kind: kindOf(arg) });
    }
  }
  if (files.length === 0) {
    const reasons = unusable.map((item) => item.error.message).join('; ');
    throw new SubflowError('FILE_NOT_FOUND', `nothing to translate: ${reasons || 'no INPUT given'}`, {
      hint: 'give videos, subtitle files (.srt .vtt .ass .ssa) or folders holding them',
    });
  }
  return { files, unusable };
}

/** Options that decide output names. */
export interface OutputNaming {
  /** ISO 639-2 code put into the names: `movie.eng.srt`. */
  targetLanguage: string;
  /** `--out`: a folder, or (for a single input) a subtitle file path. */
  out?: string;
  /** How many files the run translates (a file `--out` needs exactly one). */
  fileCount: number;
}

/** Where one input's translation goes. */
export interface OutputPaths {
  /** The subtitle file for a format. */
  subtitle(format: SubtitleFormat): string;
  /** The muxed copy of a video: `NAME.<to>.<the input's extension>`. */
  muxed: string;
  /** The format an explicit `--out FILE.vtt` asks for, if any. */
  format?: SubtitleFormat;
}

/** True when `--out` names a subtitle file rather than a folder. */
export function outIsFile(out: string): boolean {
  return formatFromFileName(out) !== undefined;
}

/**
 * The output names for `input`: beside it, or under `--out` (keeping the sub-folders of a searched
 * folder), or exactly `--out` when that is a subtitle file name and one file is translated.
 */
export function outputPaths(input: InputFile, naming: OutputNaming): OutputPaths {
  const extension = extname(input.path);
  const stem = `${basename(input.path, extension)}.${naming.targetLanguage}`;
  if (naming.out !== undefined && outIsFile(naming.out)) {
    if (naming.fileCount !== 1) {
      throw new SubflowError(
        'BAD_ARGUMENT',
        `--out ${naming.out} is a file name, but ${naming.fileCount} files are translated`,
        { key: 'out', hint: 'give --out a folder when translating several files' },
      );
    }
    const file = naming.out;
    return {
      subtitle: () => file,
      muxed: join(dirname(file), `${stem}${extension}`),
      format: formatFromFileName(file),
    };
  }
  let folder = dirname(input.path);
  if (naming.out !== undefined) {
    const below = input.root ? relative(resolve(input.root), resolve(dirname(input.path))) : '';
    folder = join(naming.out, below);
  }
  return {
    subtitle: (format) => join(folder, `${stem}${FORMAT_EXTENSIONS[format]}`),
    muxed: join(folder, `${stem}${extension}`),
  };
}

/** What decides which outputs a run writes, besides their names. */
export interface PlannedOutputs extends OutputNaming {
  /** `--format`; without it a subtitle file keeps its own format and a video's is known once its track is read. */
  format?: SubtitleFormat;
  /** `--mux`: videos also get a muxed copy. */
  mux: boolean;
}

/**
 * Checks the outputs of every file of a run before any model is loaded, so a bad `--out` fails at
 * once rather than after the translation: no output may be an input, and none may go through a file
 * where a folder must be. A video whose track format is not known yet has its output folder checked.
 * @throws SubflowError OUTPUT_IS_INPUT, OUTPUT_NOT_WRITABLE, BAD_ARGUMENT (a file --out for several files)
 */
export async function checkPlannedOutputs(files: readonly InputFile[], plan: PlannedOutputs): Promise<void> {
  const inputs = guardInputs(files.map((file) => file.path));
  for (const file of files) {
    const paths = outputPaths(file, plan);
    const format =
      plan.format ?? paths.format ?? (file.kind === 'subtitle' ? formatFromFileName(file.path) : undefined);
    if (format) await checkSubtitleOutput(paths.subtitle(format), inputs);
    else await checkOutputFolders(paths.subtitle('srt'));
    if (plan.mux && file.kind === 'video') await checkSubtitleOutput(paths.muxed, inputs);
  }
}
