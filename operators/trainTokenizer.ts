import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import { SubflowError } from '../errors.js';
import {
  supportedVocabSize,
  trainSentencePiece,
  type SentencePieceTrainOptions,
} from '../text/sentencepieceTrainer.js';
import { Tokenizer } from '../text/tokenizer.js';
import type { SentencePair } from '../types.js';

export interface TrainTokenizerOptions extends Omit<
  SentencePieceTrainOptions,
  'inputFiles' | 'sentences' | 'modelPrefix' | 'signal'
> {
  /** Folder that receives `source.model` and `target.model` (created if missing). */
  outDir: string;
}

/** The two trained tokenizers, with the model files they were loaded from. */
export interface TrainedTokenizers {
  source: Tokenizer;
  target: Tokenizer;
}

/**
 * Trains one SentencePiece model per side on the pairs that flow through (spooled to temp files,
 * so memory stays bounded), then emits both tokenizers once the input completes. Unsubscribing
 * kills a running `spm_train` and removes the temp files.
 *
 * @example
 * readParallel(files).pipe(cleanPairs(), trainTokenizer({ outDir: 'runs/es-en', vocabSize: 8000 }))
 */
export function trainTokenizer(
  options: TrainTokenizerOptions,
): OperatorFunction<SentencePair, TrainedTokenizers> {
  const { outDir, ...spmOptions } = options;
  return (pairs) =>
    new Observable<TrainedTokenizers>((subscriber) => {
      const abort = new AbortController();
      mkdirSync(outDir, { recursive: true });
      const spool = mkdtempSync(join(outDir, '.spool-'));
      const source = new LineSpool(join(spool, 'source.txt'));
      const target = new LineSpool(join(spool, 'target.txt'));
      const cleanup = () => {
        source.close();
        target.close();
        rmSync(spool, { recursive: true, force: true });
      };
      let pairCount = 0;
      const train = async (): Promise<TrainedTokenizers> => {
        source.close();
        target.close();
        checkText(pairCount, source, target);
        const sides = ['source', 'target'] as const;
        // Both sides run to the end, so a vocabSize error can give the limit that fits both.
        const settled = await Promise.allSettled(
          sides.map((side) =>
            trainSentencePiece({
              ...spmOptions,
              inputFiles: [join(spool, `${side}.txt`)],
              modelPrefix: join(outDir, side),
              signal: abort.signal,
            }),
          ),
        );
        const models = settled.map((result) => {
          if (result.status === 'fulfilled') return result.value;
          throw bothSidesError(settled, options.vocabSize);
        });
        const [sourceTokenizer, targetTokenizer] = await Promise.all(
          models.map((model) => Tokenizer.load(model)),
        );
        return { source: sourceTokenizer, target: targetTokenizer };
      };
      const subscription = pairs.subscribe({
        next(pair) {
          pairCount += 1;
          source.write(pair.src);
          target.write(pair.tgt);
        },
        error(error) {
          cleanup();
          subscriber.error(error);
        },
        complete() {
          train().then(
            (tokenizers) => {
              cleanup();
              subscriber.next(tokenizers);
              subscriber.complete();
            },
            (error) => {
              cleanup();
              subscriber.error(error);
            },
          );
        },
      });
      return () => {
        subscription.unsubscribe();
        abort.abort();
        cleanup();
      };
    });
}

/** Refuses to start spm_train on no text: it would fail with a log that does not say why. */
function checkText(pairs: number, source: LineSpool, target: LineSpool): void {
  if (pairs === 0) {
    throw new SubflowError('CORPUS_EMPTY', 'trainTokenizer received no sentence pairs to train on', {
      hint: 'check the corpus files and the stages before it (clean logs what it dropped)',
    });
  }
  for (const [side, spool] of [
    ['source', source],
    ['target', target],
  ] as const) {
    if (spool.nonEmptyLines === 0) {
      throw new SubflowError(
        'CORPUS_EMPTY',
        `trainTokenizer received ${pairs} sentence pair${pairs === 1 ? '' : 's'}, but every ${side} side is empty`,
        { hint: `check the ${side} file of the corpus; a clean stage before it drops empty pairs` },
      );
    }
  }
}

/**
 * The error of a failed two-sided training. When vocabSize was too large for a side, it names the side
 * with the smallest limit, so following the hint works for both (each side's spm_train only knows its own).
 */
function bothSidesError(settled: PromiseSettledResult<string>[], vocabSize: number): unknown {
  const failures = settled.flatMap((result, index) =>
    result.status === 'rejected' ? [{ side: index === 0 ? 'source' : 'target', error: result.reason }] : [],
  );
  const other = failures.find((failure) => supportedVocabSize(failure.error) === undefined);
  if (other) return other.error;
  const limits = failures
    .map((failure) => ({ side: failure.side, limit: supportedVocabSize(failure.error)! }))
    .sort((a, b) => a.limit - b.limit);
  const [smallest, ...rest] = limits;
  const others = rest.map((entry) => `, the ${entry.side} side up to ${entry.limit}`).join('');
  return new SubflowError(
    'TOOL_FAILED',
    `vocabSize ${vocabSize} is too large for this training text: the ${smallest.side} side supports up to ${smallest.limit} pieces${others}`,
    {
      key: 'vocabSize',
      cause: failures[0].error,
      hint: `set vocabSize to ${smallest.limit} or less (the ${smallest.side} side's limit), or train on more text`,
    },
  );
}

/**
 * Appends lines to a file through a fixed 1 MiB buffer with synchronous writes: an Observable cannot be
 * paused, so an async stream would buffer the whole corpus in memory whenever the disk is slower.
 */
class LineSpool {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private closed = false;
  /** Lines with any text: spm_train has nothing to learn from a file of blank lines. */
  nonEmptyLines = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(line: string): void {
    const text = `${line.replace(/[\r\n]+/g, ' ')}\n`;
    if (line.trim() !== '') this.nonEmptyLines += 1;
    if (this.used + Buffer.byteLength(text) > this.buffer.length) this.flush();
    if (Buffer.byteLength(text) > this.buffer.length) {
      writeSync(this.fd, text);
      return;
    }
    this.used += this.buffer.write(text, this.used);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  private flush(): void {
    if (this.used) writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }
}
