import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainEvent, Translation } from '../types.js';
import { writeTextFile } from '../text/textOutput.js';
import { MetricsRecorder, writeFileAtomicallySync } from './metricsLog.js';
import {
  buildReportHtml,
  METRICS_FILE,
  readRun,
  REPORT_FILE,
  RUN_FILE,
  type RecordedAttention,
  type RunRecord,
} from './trainingReport.js';

/** Dev sentences whose attention the report shows, unless configured. */
export const DEFAULT_REPORT_SENTENCES = 3;

/** The step a resumable checkpoint folder (`trainer.json`) was saved at; undefined when unreadable. */
export function resumedStep(checkpointDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(checkpointDir, 'trainer.json'), 'utf8')) as { step: number }).step;
  } catch {
    return undefined;
  }
}

/**
 * Keeps a training run's `metrics.jsonl`, `run.json` and `report.html` current in its work folder:
 * metrics at every log line, run.json and the report at every validation and at the end. Report
 * pages are rebuilt one at a time in the background (Vega renders asynchronously) so training never
 * waits for them; each file is replaced atomically. A report that cannot be written is logged, never
 * allowed to stop the training.
 */
export class TrainReportWriter {
  private readonly metrics: MetricsRecorder;
  private readonly runRecord: RunRecord;
  private attention: RecordedAttention[] = [];
  private queue: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly bestMetric: string;

  constructor(
    private readonly context: { workDir: string; log: (message: string) => void },
    options: { logEvery: number; earlyStopping?: { metric: string } } & Record<string, unknown>,
    run: { backend: string; parameters: number; resumedAtStep?: number },
  ) {
    this.metrics = new MetricsRecorder(
      join(context.workDir, METRICS_FILE),
      options.logEvery,
      run.resumedAtStep,
    );
    const previous = run.resumedAtStep !== undefined ? this.previousRecord() : undefined;
    this.runRecord = {
      config: options,
      backend: run.backend,
      parameters: run.parameters,
      best: previous?.best,
      attention: previous?.attention,
    };
    this.bestMetric = options.earlyStopping?.metric ?? 'loss';
  }

  /** The attention of the fixed dev sentences, decoded during the validation about to be reported. */
  setAttention(translations: readonly Translation[]): void {
    this.attention = translations.flatMap((t) =>
      t.attention && t.sourcePieces && t.targetPieces
        ? [
            {
              source: t.source,
              text: t.text,
              attention: t.attention.map((row) => row.map((w) => Math.round(w * 1000) / 1000)),
              sourcePieces: t.sourcePieces,
              targetPieces: t.targetPieces,
            },
          ]
        : [],
    );
  }

  /** Takes one TrainEvent of the run (synchronously: files are written before the next step). */
  record(event: TrainEvent): void {
    this.metrics.record(event);
    if (event.kind === 'validation') {
      if (this.attention.length > 0)
        this.runRecord.attention = { step: event.step, sentences: this.attention };
      if (event.improved) {
        this.runRecord.best = {
          path: join(this.context.workDir, 'checkpoints', 'best'),
          step: event.step,
          score: event.bestScore,
          metric: this.bestMetric,
        };
      }
      this.writeRecord();
      this.rebuild();
    } else if (event.kind === 'done') {
      this.writeRecord();
      this.rebuild();
    }
  }

  /** Resolves when the last report page asked for is written (or its failure logged). */
  settled(): Promise<void> {
    return this.queue;
  }

  private writeRecord(): void {
    writeFileAtomicallySync(join(this.context.workDir, RUN_FILE), `${JSON.stringify(this.runRecord)}\n`);
  }

  // At most one rebuild waits behind the running one: it reads the files as they are when it starts.
  private rebuild(): void {
    if (this.pending) return;
    this.pending = true;
    this.queue = this.queue.then(async () => {
      this.pending = false;
      try {
        const html = await buildReportHtml([readRun(this.context.workDir)]);
        await writeTextFile(join(this.context.workDir, REPORT_FILE), html);
      } catch (error) {
        this.context.log(`train: the report could not be written: ${(error as Error).message}`);
      }
    });
  }

  private previousRecord(): RunRecord | undefined {
    const path = join(this.context.workDir, RUN_FILE);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    } catch {
      return undefined; // rewritten at the next validation
    }
  }
}
