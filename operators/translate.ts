import {
  asyncScheduler,
  concatMap,
  from,
  Observable,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Translation } from '../types.js';
import type { TranslationModel } from '../model/translationModel.js';
import { translateSentences, type TranslateOptions } from '../model/translateSentences.js';

/** Options of {@link translate}: search and batching options plus how lines are buffered. */
export interface TranslateStreamOptions extends TranslateOptions {
  /** Lines collected before a chunk is translated (batched by length inside it). Default 256. */
  bufferSize?: number;
  /**
   * A partial chunk is translated this long after its first line arrived, so an interactive stream
   * (a user typing lines) gets answers without filling the buffer. Infinity waits for bufferSize
   * lines or the end of the input. Default 50.
   */
  flushAfterMs?: number;
  /** Scheduler of the flush timer (a TestScheduler in tests). Default asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Translates a stream of sentences: `Observable<string> → Observable<Translation>`, one result per
 * line in input order. Lines are collected into chunks of at most `bufferSize` (flushed after
 * `flushAfterMs` and on complete), and each chunk is decoded in length-sorted batches. Cold: nothing
 * runs until subscribed; unsubscribing drops the buffer and stops the chunk in progress after its
 * current batch.
 *
 * @example
 * const model = await loadModel('models/es-en');
 * from(['Hola.', 'Buenos días.']).pipe(translate(model, { beam: 5 })).subscribe((t) => console.log(t.text));
 */
export function translate(
  translationModel: TranslationModel,
  options: TranslateStreamOptions = {},
): OperatorFunction<string, Translation> {
  const { onWarning } = options;
  return translateInChunks(
    (lines, firstIndex) =>
      new Observable<Translation[]>((subscriber) => {
        const controller = new AbortController();
        translateSentences(translationModel, lines, {
          ...options,
          signal: controller.signal,
          // Warnings name the line's position in the whole stream, not in its chunk.
          onWarning: onWarning && ((warning) => onWarning({ ...warning, index: warning.index + firstIndex })),
        }).then(
          (translations) => {
            subscriber.next(translations);
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(error),
        );
        return () => controller.abort();
      }),
    options,
  );
}

/**
 * The buffering behind {@link translate}, for any chunk translator: collects lines into chunks
 * (bufferSize, flushAfterMs, complete), translates one chunk at a time with `translateChunk` (which
 * must return one result per line, in order; `firstIndex` is the stream position of the chunk's first
 * line) and emits the results in input order.
 */
export function translateInChunks<T>(
  translateChunk: (lines: string[], firstIndex: number) => ObservableInput<T[]>,
  options: Pick<TranslateStreamOptions, 'bufferSize' | 'flushAfterMs' | 'scheduler'> = {},
): OperatorFunction<string, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let firstIndex = 0; // per subscription: the operator stays cold and reusable
      return source
        .pipe(
          chunkLines(options),
          concatMap((lines) => {
            const chunk = from(translateChunk(lines, firstIndex));
            firstIndex += lines.length;
            return chunk.pipe(concatMap((results) => results));
          }),
        )
        .subscribe(subscriber);
    });
}

/** Groups lines into chunks of bufferSize, a partial chunk flushed flushAfterMs after its first line. */
function chunkLines(
  options: Pick<TranslateStreamOptions, 'bufferSize' | 'flushAfterMs' | 'scheduler'>,
): OperatorFunction<string, string[]> {
  const bufferSize = options.bufferSize ?? 256;
  const flushAfterMs = options.flushAfterMs ?? 50;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<string[]>((subscriber) => {
      let buffer: string[] = [];
      let timer: Subscription | undefined;
      const flush = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (buffer.length === 0) return;
        const chunk = buffer;
        buffer = [];
        subscriber.next(chunk);
      };
      const subscription = source.subscribe({
        next: (line) => {
          buffer.push(line);
          if (buffer.length >= bufferSize) flush();
          else if (!timer && Number.isFinite(flushAfterMs)) timer = scheduler.schedule(flush, flushAfterMs);
        },
        error: (error: unknown) => subscriber.error(error),
        // Flush before completing, or the last partial chunk is lost.
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
        buffer = [];
      };
    });
}
