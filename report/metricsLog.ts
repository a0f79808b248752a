import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SubflowError } from '../errors.js';
import type { TrainEvent } from '../types.js';

/** Steps between two `log` lines of metrics.jsonl unless configured. */
export const DEFAULT_LOG_EVERY = 100;

/**
 * One line of `<workDir>/metrics.jsonl`: a `log` line sums up the training steps since the previous
 * one (mean loss and tokens/s, the learning rate of its last step); a `validation` line is one
 * validation. `wallSeconds` counts from the start of the run, across resumes.
 */
export interface MetricsLine {
  event: 'log' | 'validation';
  step: number;
  epoch: number;
  wallSeconds: number;
  loss?: number;
  learningRate?: number;
  tokensPerSecond?: number;
  devLoss?: number;
  bleu?: number;
  chrf?: number;
}

/** Reads a metrics.jsonl file; a line that is not JSON is an error naming the file and line. */
export function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((text, index) => {
      if (text.trim() === '') return [];
      try {
        return [JSON.parse(text) as MetricsLine];
      } catch (cause) {
        throw new SubflowError('FILE_UNREADABLE', `${path} line ${index + 1} is not a JSON metrics line`, {
          file: path,
          line: index + 1,
          hint: 'metrics.jsonl is written by the train stage; delete the damaged line or the file',
          cause,
        });
      }
    });
}

/** Writes `text` to `path` via a temp file in the same folder renamed into place. */
export function writeFileAtomicallySync(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw new SubflowError('OUTPUT_NOT_WRITABLE', `cannot write ${path}: ${(cause as Error).message}`, {
      file: path,
      hint: 'check that the work folder is writable and the disk is not full',
      cause,
    });
  }
}

/**
 * Turns the train stage's TrainEvents into metrics.jsonl lines and keeps the file current: every
 * line added rewrites it atomically (the whole file, a few hundred lines), so a reader or a crash
 * never sees half a line. On resume the lines up to the resumed step are kept.
 */
export class MetricsRecorder {
  readonly lines: MetricsLine[];
  private readonly startedAt = Date.now();
  private readonly priorWallSeconds: number;
  private window = { steps: 0, loss: 0, tokensPerSecond: 0 };

  constructor(
    readonly path: string,
    private readonly logEvery = DEFAULT_LOG_EVERY,
    resumedAtStep?: number,
  ) {
    this.lines =
      resumedAtStep === undefined ? [] : readMetrics(path).filter((line) => line.step <= resumedAtStep);
    this.priorWallSeconds = this.lines.at(-1)?.wallSeconds ?? 0;
  }

  /** Records one event; returns the line it added, if any. */
  record(event: TrainEvent): MetricsLine | undefined {
    if (event.kind === 'step') {
      this.window.steps += 1;
      this.window.loss += event.loss ?? 0;
      this.window.tokensPerSecond += event.tokensPerSecond ?? 0;
      if (event.step % this.logEvery !== 0) return undefined;
      const { steps, loss, tokensPerSecond } = this.window;
      this.window = { steps: 0, loss: 0, tokensPerSecond: 0 };
      return this.add({
        event: 'log',
        step: event.step,
        epoch: event.epoch,
        wallSeconds: this.wallSeconds(),
        loss: loss / steps,
        learningRate: event.learningRate,
        tokensPerSecond: tokensPerSecond / steps,
      });
    }
    if (event.kind === 'validation') {
      return this.add({
        event: 'validation',
        step: event.step,
        epoch: event.epoch,
        wallSeconds: this.wallSeconds(),
        devLoss: event.validLoss,
        bleu: event.bleu,
        chrf: event.chrf,
      });
    }
    return undefined;
  }

  private wallSeconds(): number {
    return Math.round((this.priorWallSeconds + (Date.now() - this.startedAt) / 1000) * 1000) / 1000;
  }

  private add(line: MetricsLine): MetricsLine {
    const defined = Object.fromEntries(
      Object.entries(line).filter(([, value]) => value !== undefined),
    ) as unknown as MetricsLine;
    this.lines.push(defined);
    writeFileAtomicallySync(this.path, this.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    return defined;
  }
}
