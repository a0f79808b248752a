import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SubflowError, type SubflowErrorCode } from '../errors.js';
import type { BackendName } from '../model/backend.js';
import type { ModelJson } from '../model/checkpointFormat.js';
import { resolveModelDir } from '../model/defaultModel.js';
import { loadModel } from '../model/translationModel.js';
import type { TranslateOptions } from '../model/translateSentences.js';
import { evaluateModel } from './evaluateModel.js';

/** One decoding setting's figures for one model. */
export interface ComparisonRun {
  beam: number;
  bleu: number;
  chrf: number;
  seconds: number;
  sentencesPerSecond: number;
}

/** What compare-models reports for one model folder. */
export interface ModelComparison {
  model: string;
  /** Numbers in all weight tensors (pruned zeros included). */
  parameters: number;
  /** Size of weights.bin in bytes. */
  weightsBytes: number;
  /** Storage types of weights.bin's tensors, e.g. "float16" or "int8+float32". */
  dtype: string;
  /** The backend line of the run (see resolveBackend). */
  backend: string;
  sentences: number;
  runs: ComparisonRun[];
  /** Peak resident set size of the process that measured only this model, MB. */
  peakRssMb: number;
}

/** What to measure: the test split, the beams, the backend and the decoding options. */
export interface CompareOptions {
  src: string;
  ref: string;
  /** Beam sizes to decode with, e.g. [5, 1] (1 is greedy). */
  beams: number[];
  backend: BackendName;
  /** Decoding options besides the beam (batching, length limits). */
  decoding?: Omit<TranslateOptions, 'beam' | 'nBest' | 'signal' | 'onWarning'>;
  /** Only the first `limit` sentences of the split. */
  limit?: number;
}

/** Numbers, file size and dtypes of a checkpoint folder, from its model.json and weights.bin alone. */
export function describeWeights(dir: string): { parameters: number; weightsBytes: number; dtype: string } {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const parameters = model.weights.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0);
  const dtypes = [...new Set(model.weights.map((e) => e.dtype))].sort();
  return { parameters, weightsBytes: statSync(join(dir, 'weights.bin')).size, dtype: dtypes.join('+') };
}

/**
 * Measures one model in this process: scores and speed at each beam over the test lines, and the
 * process's peak RSS afterwards (so call it in a process of its own; see compareModels).
 */
export async function measureModel(
  dir: string,
  sources: readonly string[],
  references: readonly string[],
  options: Omit<CompareOptions, 'src' | 'ref'>,
): Promise<ModelComparison> {
  const translationModel = await loadModel(dir, { backend: options.backend });
  try {
    const runs: ComparisonRun[] = [];
    for (const beam of options.beams) {
      const result = await evaluateModel(translationModel, sources, references, {
        ...options.decoding,
        beam,
        nBest: 1,
      });
      runs.push({
        beam,
        bleu: result.bleu,
        chrf: result.chrf,
        seconds: result.seconds,
        sentencesPerSecond: result.sentencesPerSecond,
      });
    }
    return {
      model: dir,
      ...describeWeights(translationModel.dir),
      backend: translationModel.backend.reason,
      sentences: sources.length,
      runs,
      peakRssMb: peakRssMb(),
    };
  } finally {
    translationModel.dispose();
  }
}

/** Peak resident set size of this process in MB (VmHWM on Linux, else the current RSS). */
export function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Math.round(Number(match[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}

const WORKER = fileURLToPath(
  new URL(`./compareModelWorker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);

/**
 * Measures each model folder in a child process of its own, one after the other (so each peak RSS
 * is that model's, and no model's timing shares the CPU with another's).
 * @throws the worker's SubflowError (FILE_NOT_FOUND, MODEL_INVALID, CHECKPOINT_CORRUPT …) for the first model that fails
 */
export async function compareModels(
  models: readonly (string | undefined)[],
  options: CompareOptions,
  onProgress: (line: string) => void = () => {},
): Promise<ModelComparison[]> {
  const results: ModelComparison[] = [];
  for (const model of models) {
    const dir = resolveModelDir(model);
    onProgress(`measuring ${dir}`);
    results.push(await runWorker(dir, options));
  }
  return results;
}

function runWorker(dir: string, options: CompareOptions): Promise<ModelComparison> {
  const loader = WORKER.endsWith('.ts') ? ['--import', 'tsx', '--conditions=subflow-source'] : [];
  const child = spawn(process.execPath, [...loader, WORKER, JSON.stringify({ dir, ...options })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: {
        result?: ModelComparison;
        error?: { code: string; message: string; hint?: string; file?: string };
      };
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        reject(new Error(`measuring ${dir} failed (exit ${code}): ${stderr.trim().slice(-500)}`));
        return;
      }
      if (parsed.error) {
        const { code: errorCode, message, hint, file } = parsed.error;
        reject(new SubflowError(errorCode as SubflowErrorCode, message, { hint, file }));
      } else resolve(parsed.result!);
    });
  });
}

/** The comparison as a text table, one row per model and beam. */
export function formatComparison(results: readonly ModelComparison[]): string[] {
  const header = ['model', 'params', 'weights', 'dtype', 'beam', 'BLEU', 'chrF2', 'sent/s', 'peak RSS'];
  const rows = results.flatMap((r) =>
    r.runs.map((run, i) => [
      i === 0 ? r.model : '',
      i === 0 ? `${(r.parameters / 1e6).toFixed(2)} M` : '',
      i === 0 ? `${(r.weightsBytes / 2 ** 20).toFixed(2)} MiB` : '',
      i === 0 ? r.dtype : '',
      run.beam === 1 ? '1 (greedy)' : String(run.beam),
      run.bleu.toFixed(2),
      run.chrf.toFixed(2),
      run.sentencesPerSecond.toFixed(1),
      i === 0 ? `${r.peakRssMb} MB` : '',
    ]),
  );
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), ...rows.map(line)];
}
