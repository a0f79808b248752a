import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SubflowError, type SubflowErrorCode } from '../errors.js';
import type { PipelineConfig } from './config.js';

interface InputProblem {
  key: string;
  code: SubflowErrorCode;
  message: string;
}

/**
 * Checks every file and folder a config names (each stage's `inputs`, and that `workDir` can be a
 * folder) before any stage runs, so a wrong corpus path fails at once, naming its key
 * (`stages[0].read.train.source`) and the resolved path, instead of hours later or after a tokenizer started. Inputs of a stage that replaces what an
 * earlier stage provides (a loadModel after train) may be written by the run, so they are left alone.
 * @throws SubflowError FILE_NOT_FOUND, FILE_UNREADABLE or OUTPUT_NOT_WRITABLE listing every bad path
 */
export async function checkConfigPaths(config: PipelineConfig): Promise<void> {
  const problems: InputProblem[] = [];
  const blocker = await fileOnTheWay(config.workDir);
  if (blocker) {
    problems.push({
      key: 'workDir',
      code: 'OUTPUT_NOT_WRITABLE',
      message: `${config.workDir} cannot be created: ${blocker} is a file, not a folder`,
    });
  }
  const provided = new Set<string>();
  for (const stage of config.stages) {
    const { definition } = stage;
    const written = definition.provides.some((key) => provided.has(key));
    for (const key of definition.provides) provided.add(key);
    if (written || !definition.inputs) continue;
    for (const input of definition.inputs(stage.options)) {
      const problem = await describeInput(input.path, resolve(config.dir, input.path), input.kind);
      if (problem) {
        problems.push({ key: stage.key + input.key.map(keyPart).join(''), ...problem });
      }
    }
  }
  if (problems.length === 0) return;
  const [first] = problems;
  const message =
    problems.length === 1
      ? `${config.file}: ${first.key}: ${first.message}`
      : `${config.file}: ${problems.length} paths cannot be used\n  ${problems
          .map((problem) => `${problem.key}: ${problem.message}`)
          .join('\n  ')}`;
  throw new SubflowError(first.code, message, {
    file: config.file,
    key: first.key,
    hint: 'relative paths in a config (workDir too) are resolved against the folder of the config file',
  });
}

/** The file standing where `folder` or one of its parents must be a folder, if any. */
async function fileOnTheWay(folder: string): Promise<string | undefined> {
  for (let path = resolve(folder); ; path = dirname(path)) {
    const info = await stat(path).catch(() => undefined);
    if (info) return info.isDirectory() ? undefined : path;
    if (dirname(path) === path) return undefined;
  }
}

function keyPart(part: string | number): string {
  return typeof part === 'number' ? `[${part}]` : `.${part}`;
}

async function describeInput(
  written: string,
  path: string,
  kind: 'file' | 'folder',
): Promise<Omit<InputProblem, 'key'> | undefined> {
  const problem = (code: SubflowErrorCode, what: string) => ({
    code,
    message: `${written} ${what}${isAbsolute(written) ? '' : ` (looked for ${path})`}`,
  });
  const info = await stat(path).catch(() => undefined);
  if (!info) return problem('FILE_NOT_FOUND', 'does not exist');
  if (kind === 'file' && info.isDirectory()) return problem('FILE_UNREADABLE', 'is a folder, not a file');
  if (kind === 'folder' && !info.isDirectory()) return problem('FILE_UNREADABLE', 'is a file, not a folder');
  const readable = await access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
  return readable ? undefined : problem('FILE_UNREADABLE', 'cannot be read (permissions)');
}
