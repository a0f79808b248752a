import { Observable, type Observer, type OperatorFunction, type Subscription } from 'rxjs';
import { SubflowError } from '../errors.js';
import { TrainerSession, type SessionModel, type SessionOptions } from '../model/trainerSession.js';
import type { Batch, TrainEvent } from '../types.js';
import type { FlowGate } from '../flowGate.js';

/**
 * Options of the training stage. Defaults follow `ref-small` (TRAINING_DEFAULTS in
 * model/trainerOptions.ts). With no maxSteps/maxEpochs/maxMinutes the run is one epoch.
 */
export interface TrainOptions<M extends SessionModel> extends SessionOptions<M> {
  /** Aborting finishes the current step, writes `last/`, emits 'done' (interrupted) and completes. */
  signal?: AbortSignal;
  /**
   * The gate of the pulled corpus reader behind the batches (`readParallel({ …, gate })`): closed while
   * more than a few dozen batches wait, so an epoch never piles up in memory however fast reading is.
   */
  gate?: FlowGate;
}

/** Batches queued before the reader is paused, and the level at which it resumes. */
const QUEUE_HIGH_WATER = 64;
const QUEUE_LOW_WATER = 16;

type DoneReason = NonNullable<TrainEvent['reason']>;

/** Thrown through the training loop when the consumer unsubscribed during an emit. */
const STOPPED = Symbol('training stopped by unsubscribe');

/**
 * The training stage: trains `model` on the incoming batches and emits progress as TrainEvents
 * ('step', 'validation', 'checkpoint', 'epoch', then one 'done' with its reason). Cold: training
 * starts on subscribe. Each epoch re-subscribes to the source, so the source must be cold (re-read
 * the corpus) to train more than one epoch; use `trainEpochs` to give each epoch its own shuffle.
 *
 * Unsubscribing (Ctrl-C) takes effect between steps: by the time `unsubscribe()` returns, a
 * resumable `last/` checkpoint is on disk and the optimiser's tensors are freed.
 *
 * @example
 * batches$.pipe(train(new Seq2Seq(config), { maxSteps: 20_000, validateEvery: 1000, devBatches,
 *   checkpoint: { dir: 'runs/es-en' }, earlyStopping: { metric: 'loss', patience: 5 } }))
 */
export function train<M extends SessionModel>(
  model: M,
  options: TrainOptions<M> = {},
): OperatorFunction<Batch, TrainEvent> {
  return (source) => trainEpochs(model, () => source, options);
}

/**
 * Like `train`, with the batches of each epoch made by `batchesForEpoch(epoch)` (1-based), e.g. a
 * bucketBatch whose seed is derived from the epoch. It must return the same batches in the same
 * order for the same epoch: on resume, the epoch in progress is re-created and the batches already
 * trained on (`batchesInEpoch` in trainer.json) are skipped, which is what makes resume exact.
 *
 * @example
 * trainEpochs(model, (epoch) => readParallel(files).pipe(cleanPairs(clean), tokenize(src, tgt),
 *   bucketBatch({ maxTokens: 2000, seed: seed * 1000 + epoch })),
 *   { maxEpochs: 20, resume: 'runs/es-en/last', checkpoint: { dir: 'runs/es-en' } })
 */
export function trainEpochs<M extends SessionModel>(
  model: M,
  batchesForEpoch: (epoch: number) => Observable<Batch>,
  options: TrainOptions<M> = {},
): Observable<TrainEvent> {
  return new Observable<TrainEvent>((subscriber) => {
    let session: TrainerSession<M> | undefined;
    let settled = false;
    let midStep = false;
    let epochSubscription: Subscription | undefined;
    let queue: BatchQueue | undefined;
    // A consumer may unsubscribe from inside `next` (the teardown then saves `last/`); unwinding with
    // STOPPED keeps the rest of that step's work (validation, checkpoints) from touching freed state.
    const emit = (event: TrainEvent) => {
      subscriber.next(event);
      if (subscriber.closed) throw STOPPED;
    };
    const onAbort = () => queue?.wake();
    options.signal?.addEventListener('abort', onAbort);
    const stopped = () => subscriber.closed;

    const runEpoch = async (current: TrainerSession<M>): Promise<DoneReason | 'epoch-end' | null> => {
      queue = new BatchQueue(options.gate);
      let toSkip = current.batchesInEpoch;
      const resumed = toSkip > 0;
      epochSubscription = batchesForEpoch(current.epoch).subscribe(queue.observer);
      let trained = 0;
      for (;;) {
        if (options.signal?.aborted) return 'interrupted';
        const limit = current.limitReached();
        if (limit !== null) return limit;
        const batch = await queue.next();
        if (stopped()) return null;
        if (options.signal?.aborted) return 'interrupted';
        if (batch === undefined) break;
        if (toSkip > 0) {
          toSkip -= 1; // trained on before the resume
          continue;
        }
        midStep = true; // a throw from here on may leave the weights half-updated
        const stepEvent = current.trainBatch(batch);
        midStep = false;
        emit(stepEvent);
        trained += 1;
        const reason = await current.afterStep(emit);
        if (stopped()) return null;
        if (reason !== null) return reason;
        await new Promise<void>((resolve) => setImmediate(resolve)); // let Ctrl-C / unsubscribe in
        if (stopped()) return null;
      }
      if (trained === 0 && !resumed) {
        throw new SubflowError('CORPUS_EMPTY', `epoch ${current.epoch} produced no batches`, {
          hint:
            current.epoch === 1
              ? 'check the corpus and the cleaning filters'
              : 'to train several epochs the batch source must be cold (re-read the corpus on each subscribe)',
        });
      }
      return 'epoch-end';
    };

    const run = async () => {
      const current = new TrainerSession(model, options);
      session = current;
      let reason: DoneReason | null = current.pendingValidation ? await current.validate(emit) : null;
      reason ??= current.limitReached();
      while (reason === null) {
        const outcome = await runEpoch(current);
        epochSubscription?.unsubscribe();
        // A reader paused at the gate must run on to notice the unsubscribe and close its files.
        options.gate?.open();
        if (outcome === null) return; // unsubscribed: the teardown saved the checkpoint
        if (outcome !== 'epoch-end') {
          reason = outcome;
          break;
        }
        emit(current.endEpoch());
        reason = current.singleEpoch ? 'complete' : current.limitReached();
      }
      if (reason !== 'interrupted') await current.validate(emit, true);
      if (stopped()) return;
      current.saveLast(emit);
      settled = true;
      subscriber.next(current.doneEvent(reason));
      subscriber.complete();
    };

    run().catch((error: unknown) => {
      if (error === STOPPED) return;
      settled = true;
      // An upstream read error or a failing evaluate comes between two steps: keep the progress.
      if (session && !midStep) {
        try {
          session.saveLast(emit);
        } catch {
          // The original error is the one to report; a failed save must not hide it.
        }
      }
      subscriber.error(error);
    });

    return () => {
      options.signal?.removeEventListener('abort', onAbort);
      epochSubscription?.unsubscribe();
      options.gate?.open();
      queue?.wake();
      // Unsubscribed mid-run (Ctrl-C): steps are synchronous, so the state is between two steps.
      if (session && !settled) session.saveLast();
      session?.dispose();
    };
  });
}

/**
 * Buffers the pushed batches of one epoch so the training loop can take them one at a time and
 * yield to the event loop between steps. RxJS cannot slow a producer down; with a gate, the pulled
 * reader upstream is paused above QUEUE_HIGH_WATER batches, otherwise a fast source is buffered whole.
 */
class BatchQueue {
  constructor(private readonly gate?: FlowGate) {}

  private items: Batch[] = [];
  private head = 0;
  private complete = false;
  private failure: { error: unknown } | undefined;
  private waiter: (() => void) | undefined;

  readonly observer: Observer<Batch> = {
    next: (batch) => {
      this.items.push(batch);
      if (this.gate && this.items.length - this.head > QUEUE_HIGH_WATER) this.gate.close();
      this.wake();
    },
    error: (error: unknown) => {
      this.failure = { error };
      this.wake();
    },
    complete: () => {
      this.complete = true;
      this.wake();
    },
  };

  /** Resolves whoever waits in `next`, so it re-checks its stop conditions. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The next batch; undefined at the end of the epoch or when woken with nothing queued. */
  async next(): Promise<Batch | undefined> {
    if (this.head < this.items.length) {
      const batch = this.items[this.head];
      this.head += 1;
      if (this.gate?.isClosed && this.items.length - this.head < QUEUE_LOW_WATER) this.gate.open();
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head); // drop consumed batches
        this.head = 0;
      }
      return batch;
    }
    if (this.failure) throw this.failure.error;
    if (this.complete) return undefined;
    await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.head < this.items.length || this.failure ? this.next() : undefined;
  }
}
