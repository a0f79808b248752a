import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SubtitleFormat } from '../subtitles/cue.js';
import { FORMAT_EXTENSIONS, outputPaths, type InputFile, type OutputNaming } from './subtitleInputs.js';
import type { SubtitleJobOptions } from './translateSubtitleFile.js';

/*
 * When a file's translation is already done (`subflow translate --skip-existing`, and the queue's
 * idempotency): every output the file would get exists under its final name, as a file, and is at
 * least as new as the input. Outputs are written to a temp file and renamed into place, so an output
 * under its final name is complete; an input modified after its outputs were written is translated
 * again. The model and the options the outputs were made with are not recorded, so they are not
 * compared: a rerun with another model must leave the flag off.
 */

/** What decides a file's outputs: the output naming of the run plus the format and `--mux`. */
export interface CompletenessOptions
  extends
    Pick<SubtitleJobOptions, 'targetLanguage' | 'format' | 'mux'>,
    Omit<OutputNaming, 'targetLanguage'> {}

/** The verdict on one input. */
export interface OutputsCheck {
  /** True when every output exists and is at least as new as the input. */
  complete: boolean;
  /** The outputs found (subtitle file first, then the muxed copy), when complete. */
  outputs: string[];
  /** Why the file is not complete ("movie.eng.mkv does not exist"), when it is not. */
  reason?: string;
}

const SUBTITLE_FORMATS = Object.keys(FORMAT_EXTENSIONS) as SubtitleFormat[];

/**
 * Whether `input`'s outputs are all there: the subtitle file (in `--format`, in the format an
 * `--out FILE` name gives, or else in any subtitle format, since a video's track format is only
 * known after probing it) and, with `--mux`, a video's muxed copy; each a file at least as new as
 * the input. Reads only file metadata.
 */
export async function outputsComplete(input: InputFile, options: CompletenessOptions): Promise<OutputsCheck> {
  const paths = outputPaths(input, options);
  const inputInfo = await stat(input.path).catch(() => undefined);
  if (!inputInfo) return { complete: false, outputs: [], reason: `${input.path} cannot be read` };
  const fixedFormat = options.format ?? paths.format;
  const candidates = (fixedFormat ? [fixedFormat] : SUBTITLE_FORMATS).map((format) => paths.subtitle(format));
  const expected: string[][] = [candidates];
  if (options.mux && input.kind === 'video') expected.push([paths.muxed]);

  const outputs: string[] = [];
  for (const alternatives of expected) {
    const found = await firstComplete(alternatives, inputInfo.mtimeMs);
    if (typeof found !== 'string') return { complete: false, outputs: [], reason: found.reason };
    outputs.push(found);
  }
  return { complete: true, outputs };
}

/** The first of `paths` that is a file at least as new as `sinceMs`, or why none is. */
async function firstComplete(paths: string[], sinceMs: number): Promise<string | { reason: string }> {
  let stale: string | undefined;
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (info.mtimeMs >= sinceMs) return path;
    stale ??= path;
  }
  if (stale) return { reason: `${basename(stale)} is older than its input` };
  const names = paths.map((path) => basename(path));
  return { reason: names.length === 1 ? `${names[0]} does not exist` : `none of ${names.join(', ')} exists` };
}
