import {
  asyncScheduler,
  from,
  Observable,
  Subscription,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';

// By measurement (`npm run bench -- serve`, docs/serve.md), 64 closed-loop clients on a quiet 2-core machine:
// maxBatchTokens 4096 lets a batch hold all 64 (2048 cut them at about 30: 339 sentences/s against 391–406;
// 8192 gained nothing); maxWaitMs 5 keeps a lone client unbatched-fast while the clients of the last batch
// rejoin the next one (20 gave larger batches, not more throughput).
/** Defaults of {@link batchRequests}, measured with `npm run bench -- serve` (docs/serve.md). */
export const BATCH_DEFAULTS = { maxBatchTokens: 4096, maxWaitMs: 5 } as const;

/**
 * asyncScheduler, except that work without delay runs in a setImmediate callback: after the event
 * loop's I/O phase, so requests that reached the socket while a decode blocked the loop are parsed
 * (and queued) before the next batch is cut. A 0 ms timer would run before them.
 */
const afterIoScheduler: SchedulerLike = {
  now: () => asyncScheduler.now(),
  schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, delay = 0, state?: S): Subscription {
    if (delay > 0) return asyncScheduler.schedule(work, delay, state);
    const action = Object.assign(new Subscription(), {
      schedule: (next?: S, nextDelay?: number) => afterIoScheduler.schedule(work, nextDelay, next),
    });
    const handle = setImmediate(() => {
      if (!action.closed) work.call(action, state);
    });
    action.add(() => clearImmediate(handle));
    return action;
  },
};

/** What {@link batchRequests} needs of a request: its sentences, its batching group and its cancel signal. */
export interface BatchableRequest {
  /** Sentences to translate; the answer has one result per sentence, in this order. */
  sentences: readonly string[];
  /**
   * Requests of the same group (model and search options) may share a batch, others never. Default
   * `''`.
   */
  group?: string;
  /** Aborting drops the request's sentences not yet handed to the decoder, and nothing is emitted for it. */
  signal?: AbortSignal;
}

/** The answer to one request: every result in sentence order, or the error its batch failed with. */
export type BatchOutcome<Q, T> = { request: Q; results: T[] } | { request: Q; error: unknown };

/** One batch as it goes to the decoder. */
export interface BatchInfo {
  sentences: number;
  /** Sum of the sentences' token counts. */
  tokens: number;
  /** Requests with a sentence in the batch. */
  requests: number;
}

/** Options of {@link batchRequests}. */
export interface BatchRequestsOptions<Q> {
  /**
   * A batch holds at most this many tokens (at least one sentence); once this many are queued it goes
   * without waiting for maxWaitMs. 0 turns batching off: one sentence per batch. Default 4096.
   */
  maxBatchTokens?: number;
  /**
   * For this long after a batch comes back, the next batch waits until as many requests are queued as
   * that batch answered (their clients are likely to send again within a round trip). 0: never wait.
   * Either way an idle decoder takes a request at once when the last batch answered at most one.
   * Default 5.
   */
  maxWaitMs?: number;
  /** Tokens of one sentence (the model's source tokens, EOS included). Default: words + 1. */
  tokenCount?: (sentence: string, request: Q) => number;
  /** Told of each batch before it is decoded (metrics). */
  onBatch?: (batch: BatchInfo) => void;
  /** Told of the number of queued (not yet decoded) sentences whenever it changes (metrics). */
  onQueueLength?: (sentences: number) => void;
  /**
   * Scheduler of the wait timer, the clock and the turn taken before cutting a batch (a TestScheduler
   * in tests). Default: asyncScheduler, with that turn taken after pending I/O (setImmediate).
   */
  scheduler?: SchedulerLike;
}

/** A request in the queue, with what has been handed out and what has come back. */
interface Pending<Q, T> {
  request: Q;
  group: string;
  costs: number[];
  /** Index of the next sentence not yet handed to the decoder. */
  next: number;
  results: T[];
  /** Sentences whose result has not come back. */
  outstanding: number;
  finished: boolean;
  stopListening: () => void;
}

function wordCount(sentence: string): number {
  const words = sentence.trim().split(/\s+/).filter(Boolean).length;
  return words + 1;
}

/**
 * Dynamic batching of translation requests: `Observable<Q> → Observable<BatchOutcome<Q, T>>`.
 * Sentences of every request are queued and decoded one batch at a time by `decode` (which returns
 * one result per sentence, in order). Batches form while the decoder is busy: when it is free, the
 * next batch takes what is queued, up to `maxBatchTokens`, after one turn of the scheduler (so that
 * everything that arrived meanwhile is in); an idle decoder takes a new request the same way. The only
 * wait: for `maxWaitMs` after a batch that answered several requests, until as many new ones have
 * joined those queued while it ran. Results are
 * routed back: an outcome is emitted per request once all of its sentences are decoded, in completion
 * order. Batches take one sentence from each waiting request in turn (round robin, continuing where
 * the last batch stopped), so one large request cannot starve small ones. A request whose signal aborts leaves the queue; its
 * sentences already in a batch are decoded but their results dropped. A failing batch fails only the
 * requests in it. Completes when the source has completed and every request is answered.
 *
 * @example
 * requests$.pipe(batchRequests((sentences) => translateSentences(model, sentences), { maxBatchTokens: 1024 }))
 *   .subscribe((outcome) => route(outcome));
 */
export function batchRequests<Q extends BatchableRequest, T>(
  decode: (sentences: string[], first: Q) => ObservableInput<T[]>,
  options: BatchRequestsOptions<Q> = {},
): OperatorFunction<Q, BatchOutcome<Q, T>> {
  const maxBatchTokens = options.maxBatchTokens ?? BATCH_DEFAULTS.maxBatchTokens;
  const maxWaitMs = options.maxWaitMs ?? BATCH_DEFAULTS.maxWaitMs;
  const tokenCount = options.tokenCount ?? wordCount;
  const scheduler = options.scheduler ?? afterIoScheduler;
  return (source) =>
    new Observable<BatchOutcome<Q, T>>((subscriber) => {
      // Requests with sentences not yet handed out, in round-robin order.
      let queue: Pending<Q, T>[] = [];
      let queuedTokens = 0;
      let queuedSentences = 0;
      let decoding: Subscription | undefined;
      let busy = false;
      let sourceDone = false;
      let timer: Subscription | undefined;
      // The turn taken before cutting the next batch; set while it is pending.
      let cutting: Subscription | undefined;
      // The turn taken after a batch comes back, before the next one is considered; set while pending.
      let settling: Subscription | undefined;
      // When the last batch came back, and how many requests the next one waits for: clients that send
      // their next request once answered come back within a round trip, so for maxWaitMs after a batch
      // the next one waits for as many new requests as that batch answered, besides those queued while it
      // ran. Closed-loop clients then travel as one group instead of splitting into two that alternate at
      // half the batch size. A lone client, answered alone, never waits.
      let freedAt = -Infinity;
      let awaited = 0;
      const inFlight = new Set<Pending<Q, T>>();

      const queueChanged = (sentences: number, tokens: number) => {
        queuedSentences += sentences;
        queuedTokens += tokens;
        options.onQueueLength?.(queuedSentences);
      };

      const finish = (pending: Pending<Q, T>) => {
        pending.finished = true;
        pending.stopListening();
        inFlight.delete(pending);
        if (pending.next < pending.costs.length) {
          const left = pending.costs.slice(pending.next);
          queueChanged(-left.length, -left.reduce((a, b) => a + b, 0));
          pending.next = pending.costs.length;
        }
        queue = queue.filter((p) => p !== pending);
      };

      const takeBatch = () => {
        const group = queue[0].group;
        const picked: { pending: Pending<Q, T>; index: number }[] = [];
        let tokens = 0;
        let last = -1;
        let full = false;
        while (!full) {
          let progressed = false;
          for (let k = 0; k < queue.length && !full; k++) {
            const pending = queue[k];
            if (pending.group !== group || pending.next >= pending.costs.length) continue;
            const cost = pending.costs[pending.next];
            if (picked.length > 0 && (maxBatchTokens === 0 || tokens + cost > maxBatchTokens)) {
              full = true;
              break;
            }
            picked.push({ pending, index: pending.next });
            pending.next += 1;
            tokens += cost;
            last = k;
            progressed = true;
          }
          if (!progressed) break;
        }
        // The next batch starts with the request after the last one served here.
        queue = [...queue.slice(last + 1), ...queue.slice(0, last + 1)].filter(
          (p) => p.next < p.costs.length,
        );
        queueChanged(-picked.length, -tokens);
        return { picked, tokens };
      };

      const dispatch = () => {
        const { picked, tokens } = takeBatch();
        const requests = new Set(picked.map((p) => p.pending));
        options.onBatch?.({ sentences: picked.length, tokens, requests: requests.size });
        busy = true;
        let settled = false;
        const settle = () => {
          settled = true;
          busy = false;
          decoding = undefined;
          freedAt = scheduler.now();
          const answered = [...requests].filter((pending) => pending.finished).length;
          // Decoding blocked the event loop: requests that reached the socket meanwhile are parsed in the
          // next turn, and they count as queued while the batch ran, not as its clients coming back.
          let pending = true;
          const action = scheduler.schedule(() => {
            pending = false;
            settling = undefined;
            awaited = answered > 1 ? queue.length + answered : 0;
            pump();
          });
          if (pending) settling = action;
        };
        const first = picked[0].pending.request;
        const subscription = from(
          decode(
            picked.map(({ pending, index }) => pending.request.sentences[index]),
            first,
          ),
        ).subscribe({
          next: (results) => {
            if (results.length !== picked.length) {
              fail(new Error(`decode returned ${results.length} results for ${picked.length} sentences`));
              return;
            }
            picked.forEach(({ pending, index }, row) => {
              if (pending.finished) return;
              pending.results[index] = results[row];
              pending.outstanding -= 1;
              if (pending.outstanding === 0) {
                finish(pending);
                subscriber.next({ request: pending.request, results: pending.results });
              }
            });
          },
          error: (error: unknown) => fail(error),
          complete: () => {
            if (!settled) settle();
          },
        });
        function fail(error: unknown) {
          for (const pending of requests) {
            if (pending.finished) continue;
            finish(pending);
            subscriber.next({ request: pending.request, error });
          }
          if (!settled) settle();
        }
        if (!settled) decoding = subscription;
      };

      const cut = () => {
        cutting = undefined;
        if (busy || queue.length === 0) pump();
        else dispatch();
      };

      const pump = () => {
        if (subscriber.closed || busy || cutting || settling) return;
        if (queue.length === 0) {
          if (sourceDone && inFlight.size === 0) subscriber.complete();
          return;
        }
        const now = scheduler.now();
        const due = freedAt + maxWaitMs;
        if (
          sourceDone ||
          queuedTokens >= Math.max(maxBatchTokens, 1) ||
          queue.length >= awaited ||
          now >= due ||
          // Sentences of a request already being decoded have waited their turn: they go at once.
          queue.some((p) => p.next > 0)
        ) {
          timer?.unsubscribe();
          timer = undefined;
          let pending = true;
          const action = scheduler.schedule(() => {
            pending = false;
            cut();
          });
          // A scheduler may run the work at once (queueScheduler); then nothing is pending.
          if (pending) cutting = action;
        } else if (!timer) {
          timer = scheduler.schedule(() => {
            timer = undefined;
            pump();
          }, due - now);
        }
      };

      const sub = source.subscribe({
        next: (request) => {
          if (request.signal?.aborted) return;
          if (request.sentences.length === 0) {
            subscriber.next({ request, results: [] });
            return;
          }
          const costs = request.sentences.map((sentence) => Math.max(1, tokenCount(sentence, request)));
          const pending: Pending<Q, T> = {
            request,
            group: request.group ?? '',
            costs,
            next: 0,
            results: new Array<T>(costs.length),
            outstanding: costs.length,
            finished: false,
            stopListening: () => undefined,
          };
          if (request.signal) {
            const onAbort = () => {
              finish(pending);
              pump();
            };
            request.signal.addEventListener('abort', onAbort, { once: true });
            pending.stopListening = () => request.signal!.removeEventListener('abort', onAbort);
          }
          queue.push(pending);
          inFlight.add(pending);
          queueChanged(
            costs.length,
            costs.reduce((a, b) => a + b, 0),
          );
          pump();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
        cutting?.unsubscribe();
        settling?.unsubscribe();
        decoding?.unsubscribe();
        for (const pending of inFlight) pending.stopListening();
        inFlight.clear();
        queue = [];
      };
    });
}
