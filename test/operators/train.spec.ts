import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMPTY, concat, defer, from, lastValueFrom, tap, throwError, toArray, type Observable } from 'rxjs';
import { train, trainEpochs, type TrainOptions } from '../../operators/train.js';
import { isSubflowError } from '../../errors.js';
import type { Batch, TrainEvent } from '../../types.js';
import type { SessionModel } from '../../model/trainerSession.js';
import { MODEL_KINDS, reverseBatches, tempFolder, useCpuBackend } from '../model/fakeModel.js';

/** Epoch e gets its own deterministic batches, as a bucketBatch seeded from the epoch would. */
const epochBatches = (epoch: number): Observable<Batch> => from(reverseBatches(5, 100 + epoch));

function run<M extends SessionModel>(model: M, options: TrainOptions<M>): Promise<TrainEvent[]> {
  return lastValueFrom(trainEpochs(model, epochBatches, options).pipe(toArray()));
}

/** Subscribes and unsubscribes (as Ctrl-C does) right after the `stopAfter`-th step event. */
function runInterrupted<M extends SessionModel>(
  model: M,
  options: TrainOptions<M>,
  stopAfter: number,
): Promise<TrainEvent[]> {
  return new Promise((resolve, reject) => {
    const events: TrainEvent[] = [];
    const subscription = trainEpochs(model, epochBatches, options).subscribe({
      next: (event) => {
        events.push(event);
        if (event.kind === 'step' && event.step === stopAfter) {
          subscription.unsubscribe();
          resolve(events);
        }
      },
      error: reject,
      complete: () => reject(new Error('completed before the interruption')),
    });
  });
}

const losses = (events: TrainEvent[]) => events.filter((e) => e.kind === 'step').map((e) => e.loss);

describe('operators/train', () => {
  let dir: string;
  let cleanup: () => void;
  before(useCpuBackend);
  beforeEach(() => ({ dir, cleanup } = tempFolder()));
  afterEach(() => cleanup());

  it('emits step, epoch and done events; each epoch re-subscribes to a cold source', async () => {
    const model = MODEL_KINDS[0].create();
    const events = await lastValueFrom(
      from(reverseBatches(3, 1)).pipe(train(model, { maxEpochs: 2, maxSteps: 100 }), toArray()),
    );
    expect(events.map((e) => e.kind).join(' ')).to.equal('step step step epoch step step step epoch done');
    const step = events[0];
    expect(step).to.include({ step: 1, epoch: 1, learningRate: 1e-3 });
    for (const key of ['loss', 'gradNorm', 'tokensPerSecond', 'etaSeconds', 'targetTokens'])
      expect(step[key as keyof TrainEvent], key).to.be.a('number');
    expect(events.at(-1)).to.include({ kind: 'done', reason: 'max-epochs', step: 6, epoch: 2 });
    model.dispose();
  });

  for (const kind of MODEL_KINDS) {
    it(`an interrupted-then-resumed run reproduces the uninterrupted loss sequence (${kind.name})`, async () => {
      const options = {
        maxSteps: 12,
        validateEvery: 4,
        devBatches: reverseBatches(2, 999),
        learningRate: 0.01,
        schedule: { kind: 'plateau' as const, patience: 0, factor: 0.5 },
        seed: 3,
      };
      const model = kind.create();
      const uninterrupted = losses(await run(model, options));
      expect(uninterrupted).to.have.length(12);

      const first = kind.create();
      const checkpoint = { dir: path.join(dir, 'run'), every: 1000 };
      await runInterrupted(first, { ...options, checkpoint }, 7); // mid-epoch 2, after a validation
      const trainerJson = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'last', 'trainer.json'), 'utf8'));
      expect(trainerJson).to.include({ step: 7, epoch: 2, batchesInEpoch: 2 });

      const second = kind.create(42); // other initial weights: the checkpoint must overwrite them all
      const resumed = await run(second, { ...options, checkpoint, resume: path.join(dir, 'run', 'last') });
      expect(resumed[0]).to.include({ kind: 'step', step: 8, epoch: 2 });
      const tail = losses(resumed);
      expect(tail).to.have.length(5);
      tail.forEach((loss, i) => expect(loss).to.be.closeTo(uninterrupted[7 + i]!, 1e-6));
      expect(resumed.at(-1)).to.include({ kind: 'done', reason: 'max-steps', step: 12 });
      for (const m of [model, first, second]) m.dispose();
    });
  }

  it('Ctrl-C during an awaited evaluate: the resumed run redoes that validation first', async () => {
    const options = {
      maxSteps: 8,
      validateEvery: 4,
      devBatches: reverseBatches(2, 999),
      schedule: 'plateau' as const,
      evaluate: async () => ({ bleu: 1 }),
    };
    const checkpoint = { dir };
    const model = MODEL_KINDS[0].create();
    await new Promise<void>((resolve, reject) => {
      const subscription = trainEpochs(model, epochBatches, {
        ...options,
        checkpoint,
        evaluate: () =>
          new Promise((done) => {
            setImmediate(() => {
              subscription.unsubscribe(); // arrives while evaluate is still pending
              resolve();
            });
            setTimeout(() => done({ bleu: 1 }), 20);
          }),
      }).subscribe({ error: reject });
    });
    const trainerJson = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'trainer.json'), 'utf8'));
    expect(trainerJson).to.include({ step: 4, lastValidatedStep: -1 });
    const resumed = await run(model, { ...options, checkpoint, resume: path.join(dir, 'last') });
    expect(resumed[0]).to.include({ kind: 'validation', step: 4 });
    expect(resumed.find((e) => e.kind === 'step')).to.include({ step: 5 });
    expect(resumed.filter((e) => e.kind === 'validation').map((e) => e.step)).to.deep.equal([4, 8]);
    model.dispose();
  });

  it('Ctrl-C gets in between steps even with a synchronous source, and leaves a resumable last/', async () => {
    const model = MODEL_KINDS[0].create();
    const baseline = tf.memory().numTensors;
    const events: TrainEvent[] = [];
    await new Promise<void>((resolve) => {
      const subscription = from(reverseBatches(50, 2))
        .pipe(train(model, { maxSteps: 50, checkpoint: { dir } }))
        .subscribe((event) => {
          events.push(event);
          if (events.length === 1)
            setImmediate(() => {
              subscription.unsubscribe(); // what the CLI's SIGINT handler does
              resolve();
            });
        });
    });
    const steps = events.filter((e) => e.kind === 'step').length;
    expect(steps).to.be.within(1, 3);
    const trainerJson = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'trainer.json'), 'utf8'));
    expect(trainerJson).to.include({ step: steps, batchesInEpoch: steps });
    expect(tf.memory().numTensors).to.equal(baseline); // optimiser moments released
    model.dispose();
  });

  it('an aborted signal finishes the step, writes last/ and completes with done: interrupted', async () => {
    const model = MODEL_KINDS[0].create();
    const controller = new AbortController();
    const events: TrainEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      from(reverseBatches(20, 3))
        .pipe(train(model, { maxSteps: 20, checkpoint: { dir }, signal: controller.signal }))
        .subscribe({
          next: (event) => {
            events.push(event);
            if (event.kind === 'step' && event.step === 2) controller.abort();
          },
          error: reject,
          complete: resolve,
        }),
    );
    expect(events.slice(-2).map((e) => [e.kind, e.checkpoint ?? e.reason])).to.deep.equal([
      ['checkpoint', 'last'],
      ['done', 'interrupted'],
    ]);
    expect(events.at(-1)!.step).to.equal(2);
    model.dispose();
  });

  it('writes best/, last/ and the newest keepLast step-N/ folders, and no tensors stay behind', async () => {
    const model = MODEL_KINDS[0].create();
    const baseline = tf.memory().numTensors;
    const events = await run(model, {
      maxSteps: 8,
      validateEvery: 2,
      devBatches: reverseBatches(1, 5),
      learningRate: 0.01,
      checkpoint: { dir, every: 2, keepLast: 2 },
    });
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['best', 'last', 'step-0000006', 'step-0000008']);
    expect(fs.existsSync(path.join(dir, 'best', 'trainer.json'))).to.equal(false);
    expect(fs.existsSync(path.join(dir, 'step-0000006', 'trainer.json'))).to.equal(true);
    const validations = events.filter((e) => e.kind === 'validation');
    expect(validations).to.have.length(4);
    expect(validations[0]).to.include({ improved: true, step: 2 });
    const bests = events.filter((e) => e.kind === 'checkpoint' && e.checkpoint === 'best');
    expect(bests).to.have.length(validations.filter((v) => v.improved).length);
    expect(tf.memory().numTensors).to.equal(baseline);
    model.dispose();
  });

  it('stops early when the chosen metric stops improving, passing the model to evaluate', async () => {
    const model = MODEL_KINDS[0].create();
    const seen: unknown[] = [];
    const events = await run(model, {
      maxSteps: 100,
      validateEvery: 2,
      devBatches: reverseBatches(1, 5),
      evaluate: async (m) => {
        seen.push(m);
        return { bleu: 12.5, chrf: 40 };
      },
      earlyStopping: { metric: 'bleu', patience: 2 },
    });
    const validations = events.filter((e) => e.kind === 'validation');
    expect(validations.map((v) => v.improved)).to.deep.equal([true, false, false]);
    expect(validations[0]).to.include({ bleu: 12.5, chrf: 40, bestScore: 12.5 });
    expect(events.at(-1)).to.include({ kind: 'done', reason: 'early-stopping', step: 6, bestScore: 12.5 });
    expect(seen.every((m) => m === model)).to.equal(true);
    model.dispose();
  });

  it('stops on the wall-time limit', async () => {
    const model = MODEL_KINDS[0].create();
    const events = await lastValueFrom(
      from(reverseBatches(200, 1)).pipe(train(model, { maxMinutes: 0.005 }), toArray()), // 300 ms
    );
    expect(events.at(-1)).to.include({ kind: 'done', reason: 'max-minutes' });
    expect(events.at(-1)!.step).to.be.within(1, 199);
    model.dispose();
  });

  it('a one-shot source cannot feed a second epoch: CORPUS_EMPTY with a hint', async () => {
    const model = MODEL_KINDS[0].create();
    let subscriptions = 0;
    const oneShot = defer(() => (subscriptions++ === 0 ? from(reverseBatches(2, 1)) : EMPTY));
    const failure = await lastValueFrom(oneShot.pipe(train(model, { maxEpochs: 2 }))).catch(
      (e: unknown) => e,
    );
    expect(isSubflowError(failure, 'CORPUS_EMPTY') && /epoch 2/.test(failure.message)).to.equal(true);
    model.dispose();
  });

  it('an upstream error between steps keeps the progress in last/ before erroring', async () => {
    const model = MODEL_KINDS[0].create();
    const failing = concat(
      from(reverseBatches(3, 1)),
      throwError(() => new Error('gzip: unexpected end of file')),
    );
    const events: TrainEvent[] = [];
    const failure = await lastValueFrom(
      failing.pipe(
        train(model, { maxSteps: 10, checkpoint: { dir } }),
        tap((event) => events.push(event)),
      ),
    ).catch((e: unknown) => e);
    expect((failure as Error).message).to.equal('gzip: unexpected end of file');
    expect(events.at(-1)).to.include({ kind: 'checkpoint', checkpoint: 'last', step: 3 });
    const trainerJson = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'trainer.json'), 'utf8'));
    expect(trainerJson).to.include({ step: 3, batchesInEpoch: 3 });
    model.dispose();
  });

  it('a dev set that can be read only once fails at the second validation with a hint', async () => {
    const model = MODEL_KINDS[0].create();
    function* once() {
      yield* reverseBatches(1, 5);
    }
    const failure = await run(model, { maxSteps: 4, validateEvery: 2, devBatches: once() }).catch(
      (e: unknown) => e,
    );
    expect(isSubflowError(failure, 'CONFIG_INVALID') && /step 4/.test(failure.message)).to.equal(true);
    model.dispose();
  });

  it('rejects inconsistent options with CONFIG_INVALID naming the key', async () => {
    const model = MODEL_KINDS[0].create();
    const failure = await lastValueFrom(
      from(reverseBatches(1, 1)).pipe(
        train(model, { earlyStopping: { metric: 'bleu', patience: 1 }, devBatches: [] }),
      ),
    ).catch((e: unknown) => e);
    expect(
      isSubflowError(failure, 'CONFIG_INVALID') && failure.key === 'training.earlyStopping.metric',
    ).to.equal(true);
    model.dispose();
  });
});
