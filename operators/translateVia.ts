import { Observable, type OperatorFunction } from 'rxjs';
import { SubflowError } from '../errors.js';
import type { Translation } from '../types.js';
import { translateInChunks, type TranslateStreamOptions } from './translate.js';

/** Options of {@link translateVia}: what the server is asked for, and how lines are buffered. */
export interface TranslateViaOptions extends Pick<
  TranslateStreamOptions,
  'bufferSize' | 'flushAfterMs' | 'scheduler'
> {
  /** Served model's name; default: the server's only model. */
  model?: string;
  beam?: number;
  alpha?: number;
  nBest?: number;
  /** Sent as `X-API-Key` when the server wants keys. */
  apiKey?: string;
}

interface ServedTranslation {
  text: string;
  score: number;
  nBest?: { text: string; score: number }[];
}

/**
 * Translates a stream of sentences on a running `subflow serve` at `url`: the same
 * `Observable<string> → Observable<Translation>` as {@link translate}, one result per line in input
 * order, with the model and batching on the server. Lines are sent in chunks of `bufferSize`
 * (default 256, the server's default texts-per-request limit); unsubscribing cancels the request in
 * flight, which drops its sentences from the server's queue.
 * @example from(lines).pipe(translateVia('http://127.0.0.1:8080', { beam: 5 })).subscribe((t) => console.log(t.text))
 * @throws SubflowError REMOTE_FAILED with the server's message (unreachable, refused, 4xx/5xx)
 */
export function translateVia(
  url: string,
  options: TranslateViaOptions = {},
): OperatorFunction<string, Translation> {
  const endpoint = new URL('/v1/translate', url).toString();
  const { model, beam, alpha, nBest, apiKey } = options;
  return translateInChunks(
    (texts) =>
      new Observable<Translation[]>((subscriber) => {
        const controller = new AbortController();
        fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
          body: JSON.stringify({ texts, model, beam, alpha, nBest }),
          signal: controller.signal,
        })
          .then(async (response) => {
            const body = (await response.json().catch(() => ({}))) as {
              translations?: ServedTranslation[];
              error?: string;
            };
            if (
              !response.ok ||
              !Array.isArray(body.translations) ||
              body.translations.length !== texts.length
            ) {
              throw new SubflowError(
                'REMOTE_FAILED',
                `${endpoint} answered ${response.status}: ${body.error ?? 'not a translation response'}`,
                {
                  hint:
                    response.status === 429
                      ? 'the server is busy; retry later'
                      : 'check the server and the request options',
                },
              );
            }
            subscriber.next(
              body.translations.map((t, k) => ({
                source: texts[k],
                text: t.text,
                score: t.score,
                ...(t.nBest ? { nBest: t.nBest } : {}),
              })),
            );
            subscriber.complete();
          })
          .catch((error: unknown) => {
            if (controller.signal.aborted) return;
            subscriber.error(
              error instanceof SubflowError
                ? error
                : new SubflowError('REMOTE_FAILED', `cannot reach ${endpoint}: ${(error as Error).message}`, {
                    cause: error,
                    hint: 'start the server with `subflow serve` or check the URL',
                  }),
            );
          });
        return () => controller.abort();
      }),
    options,
  );
}
