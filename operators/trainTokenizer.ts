import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import { trainSentencePiece, type SentencePieceTrainOptions } from '../text/sentencepieceTrainer.js';
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
      const train = async (): Promise<TrainedTokenizers> => {
        source.close();
        target.close();
        const models = await Promise.all(
          (['source', 'target'] as const).map((side) =>
            trainSentencePiece({
              ...spmOptions,
              inputFiles: [join(spool, `${side}.txt`)],
              modelPrefix: join(outDir, side),
              signal: abort.signal,
            }),
          ),
        );
        const [sourceTokenizer, targetTokenizer] = await Promise.all(
          models.map((model) => Tokenizer.load(model)),
        );
        return { source: sourceTokenizer, target: targetTokenizer };
      };
      const subscription = pairs.subscribe({
        next(pair) {
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

/**
 * Appends lines to a file through a fixed 1 MiB buffer with synchronous writes: an Observable cannot be
 * paused, so an async stream would buffer the whole corpus in memory whenever the disk is slower.
 */
class LineSpool {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(line: string): void {
    const text = `${line.replace(/[\r\n]+/g, ' ')}\n`;
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
