import { Subject, type Subscription } from 'rxjs';
import { batchRequests, type BatchableRequest } from '../operators/batchRequests.js';
import { alignedTranslation, type UnitTranslator } from '../operators/translateCues.js';
import { translateSentences } from '../model/translateSentences.js';
import type { Translation } from '../types.js';
import { HttpError } from './httpError.js';
import type { ServiceMetrics } from './metrics.js';
import { UNKNOWN_LANGUAGE, type ServedModel } from './modelCatalog.js';
import type { ServiceSettings } from './serviceSettings.js';

/** How a client asked for its texts to be decoded. */
export interface SearchRequest {
  beam: number;
  alpha: number;
  nBest?: number;
  /** Return the attention of each output piece over the source pieces. */
  alignment?: boolean;
}

interface QueuedRequest extends BatchableRequest {
  served: ServedModel;
  search: SearchRequest;
  resolve: (translations: Translation[]) => void;
  reject: (error: unknown) => void;
}

const pair = (served: ServedModel) => `${served.languages.source}→${served.languages.target}`;

/** Longest source the model reads (translateSentences' maxSourceLength default), for token counts. */
const MAX_SOURCE_TOKENS = 250;

/**
 * The models of a server and the one stream every client's sentences flow through: requests are
 * admitted under the queue limits (429), batched across clients by {@link batchRequests}, decoded
 * and routed back. HTTP-free, so the routes, the subtitle job and tests share it.
 */
export class TranslationService {
  private readonly requests$ = new Subject<QueuedRequest>();
  private readonly subscription: Subscription;
  private readonly done: Promise<void>;
  private queued = 0;
  private inFlight = 0;
  private shuttingDown = false;
  /** Sentences per second decoded lately, for Retry-After. */
  private throughput = 0;

  constructor(
    readonly models: readonly ServedModel[],
    private readonly settings: ServiceSettings,
    private readonly metrics?: ServiceMetrics,
  ) {
    let finished!: () => void;
    this.done = new Promise((resolve) => (finished = resolve));
    let batchTokens = 0;
    const tokenCount = (sentence: string, request: QueuedRequest) =>
      Math.min(request.served.model.sourceTokenizer.encode(sentence).length, MAX_SOURCE_TOKENS) + 1;
    this.subscription = this.requests$
      .pipe(
        batchRequests<QueuedRequest, Translation>(
          async (sentences, first) => {
            const started = performance.now();
            const translations = await translateSentences(first.served.model, sentences, {
              beam: first.search.beam,
              alpha: first.search.alpha,
              nBest: first.search.nBest,
              returnAttention: first.search.alignment,
            });
            const perSecond = sentences.length / Math.max((performance.now() - started) / 1000, 1e-3);
            this.throughput = this.throughput === 0 ? perSecond : 0.8 * this.throughput + 0.2 * perSecond;
            this.metrics?.sentences.inc({ model: first.served.name }, sentences.length);
            this.metrics?.tokens.inc({ model: first.served.name }, batchTokens);
            return translations;
          },
          {
            maxBatchTokens: settings.maxBatchTokens,
            maxWaitMs: settings.maxWaitMs,
            tokenCount,
            onBatch: (batch) => {
              // Counted with tokenCount as the batch was cut, just before its decode starts: no second encode.
              batchTokens = batch.tokens;
              this.metrics?.batchSentences.observe(batch.sentences);
              this.metrics?.batchTokens.observe(batch.tokens);
            },
            onQueueLength: (sentences) => {
              this.queued = sentences;
              this.metrics?.queuedSentences.set(sentences);
            },
          },
        ),
      )
      .subscribe({
        next: (outcome) => {
          if ('results' in outcome) outcome.request.resolve(outcome.results);
          else outcome.request.reject(outcome.error);
        },
        complete: () => finished(),
        error: () => finished(),
      });
  }

  /** True once close() was called: no request is admitted any more. */
  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Sentences waiting for the model. */
  get queuedSentences(): number {
    return this.queued;
  }

  /**
   * The model a client asked for: by name (its folder's name; clients never name paths), else the
   * one whose language pair fits `source`/`target` (a model of unknown languages fits any).
   * @throws HttpError 400 naming the field: unknown name, languages the model does not have, no model
   *   or several models for the pair
   */
  findModel(query: { name?: string; source?: string; target?: string } = {}): ServedModel {
    const { name, source, target } = query;
    const fits = (served: ServedModel, side: 'source' | 'target', code?: string) =>
      code === undefined || served.languages[side] === UNKNOWN_LANGUAGE || served.languages[side] === code;
    if (name !== undefined) {
      const served = this.models.find((m) => m.name === name);
      if (!served)
        throw new HttpError(400, `no model named "${name}"; served: ${this.names()}`, { field: 'model' });
      for (const [side, code] of [
        ['source', source],
        ['target', target],
      ] as const) {
        if (!fits(served, side, code)) {
          throw new HttpError(400, `model ${name} translates ${pair(served)}, not ${side} "${code}"`, {
            field: side,
          });
        }
      }
      return served;
    }
    const candidates = this.models.filter((m) => fits(m, 'source', source) && fits(m, 'target', target));
    if (candidates.length === 1) return candidates[0];
    if (candidates.length === 0) {
      throw new HttpError(
        400,
        `no model translates ${source ?? 'any language'} → ${target ?? 'any language'}; served: ${this.names()}`,
        {
          field:
            source !== undefined && !this.models.some((m) => fits(m, 'source', source)) ? 'source' : 'target',
        },
      );
    }
    throw new HttpError(
      400,
      `several models fit (${candidates.map((m) => m.name).join(', ')}): name one with "model"`,
      {
        field: 'model',
      },
    );
  }

  private names(): string {
    return this.models.map((m) => `${m.name} (${pair(m)})`).join(', ');
  }

  /**
   * Admits a request of `sentences` sentences, or refuses it with 429 (queue full, too many in flight)
   * or 503 (shutting down). Call the returned function once the request is answered.
   */
  admit(sentences: number): () => void {
    const { maxInFlight, maxQueuedSentences } = this.settings.limits;
    if (this.shuttingDown) throw new HttpError(503, 'the server is shutting down');
    if (this.inFlight >= maxInFlight || this.queued + sentences > maxQueuedSentences) {
      const reason =
        this.inFlight >= maxInFlight
          ? `${this.inFlight} requests are in flight (limit ${maxInFlight})`
          : `${this.queued} sentences are queued and this request adds ${sentences} (limit ${maxQueuedSentences})`;
      const wait = this.throughput > 0 ? Math.ceil((this.queued + sentences) / this.throughput) : 1;
      const retryAfter = String(Math.min(Math.max(wait, 1), 60));
      throw new HttpError(
        429,
        `too many requests: ${reason}; retry later`,
        {},
        { 'Retry-After': retryAfter },
      );
    }
    this.inFlight += 1;
    this.metrics?.inFlight.set(this.inFlight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.metrics?.inFlight.set(this.inFlight);
    };
  }

  /**
   * Translates texts with a served model through the shared batching stream; one Translation per
   * text, in order. When `signal` aborts, the request leaves the queue and the promise rejects with
   * the signal's reason.
   */
  translate(
    served: ServedModel,
    texts: readonly string[],
    search: SearchRequest,
    signal?: AbortSignal,
  ): Promise<Translation[]> {
    return new Promise<Translation[]>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const group = JSON.stringify([
        served.name,
        search.beam,
        search.alpha,
        search.nBest ?? 1,
        !!search.alignment,
      ]);
      this.requests$.next({
        sentences: texts,
        group,
        signal,
        served,
        search,
        resolve: (translations) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(translations);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
    });
  }

  /** A UnitTranslator (for subtitle jobs) that sends its units through the shared stream. */
  unitTranslator(served: ServedModel, search: SearchRequest): UnitTranslator {
    // With attention, as `subflow translate` asks for it, so the default attention split (and so the
    // file) is the same as the CLI's.
    return async (units, signal) =>
      (await this.translate(served, units, { ...search, alignment: true }, signal)).map(alignedTranslation);
  }

  /** Stops admitting requests, answers every queued one, then frees nothing else (models stay loaded). */
  async close(): Promise<void> {
    this.shuttingDown = true;
    this.requests$.complete();
    await this.done;
    this.subscription.unsubscribe();
  }
}
