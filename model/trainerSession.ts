import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import type { Batch, TrainEvent } from '../types.js';
import { assignWeights, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { ResumeState } from './checkpointFormat.js';
import { Trainer } from './trainer.js';
import {
  TRAINING_DEFAULTS,
  checkSessionOptions,
  type SessionModel,
  type SessionOptions,
  type ValidationMetric,
} from './trainerOptions.js';

export type { SessionModel, SessionOptions, ValidationMetric } from './trainerOptions.js';

type DoneReason = NonNullable<TrainEvent['reason']>;

/**
 * The state and bookkeeping of one training run, free of RxJS: the step loop's body, validation,
 * early stopping, checkpoint policy, limits and progress figures. operators/train.ts drives it.
 */
export class TrainerSession<M extends SessionModel> {
  readonly trainer: Trainer;
  /** 1-based epoch in progress. */
  epoch = 1;
  /** Batches of the current epoch trained on (including those before a resume). */
  batchesInEpoch = 0;
  private readonly metric: ValidationMetric;
  private bestScore: number | null = null;
  private bestStep: number | null = null;
  private badValidations = 0;
  private priorElapsedMs = 0;
  private readonly startedAt = Date.now();
  private lastSavedKey = -1;
  private lastValidatedStep = -1;
  private tokensPerSecond = 0;
  private secondsPerStep = 0;
  private lastStepEnd = 0;
  private batchesPerEpoch: number | null = null;

  constructor(
    readonly model: M,
    readonly options: SessionOptions<M>,
  ) {
    checkSessionOptions(options);
    this.metric = options.earlyStopping?.metric ?? 'loss';
    this.trainer = new Trainer(model, options);
    if (options.resume !== undefined) this.restore(options.resume);
  }

  /** Steps completed, over all runs. */
  get step(): number {
    return this.trainer.stepCount;
  }

  /** Why training must stop before the next batch, or null to go on. */
  limitReached(): DoneReason | null {
    const { maxSteps, maxEpochs, maxMinutes } = this.options;
    if (maxSteps !== undefined && this.step >= maxSteps) return 'max-steps';
    if (maxEpochs !== undefined && this.epoch > maxEpochs) return 'max-epochs';
    if (maxMinutes !== undefined && Date.now() - this.startedAt >= maxMinutes * 60_000) return 'max-minutes';
    return null;
  }

  /** True when no limit is set at all, so one epoch is the whole run. */
  get singleEpoch(): boolean {
    const { maxSteps, maxEpochs, maxMinutes } = this.options;
    return maxSteps === undefined && maxEpochs === undefined && maxMinutes === undefined;
  }

  /** Trains on one batch and returns its 'step' event. */
  trainBatch(batch: Batch): TrainEvent {
    const started = Date.now();
    const result = this.trainer.step(batch);
    this.batchesInEpoch += 1;
    const now = Date.now();
    // Time since the previous step ended, so waiting for data counts against throughput.
    const seconds = Math.max((now - (this.lastStepEnd || started)) / 1000, 1e-3);
    this.lastStepEnd = now;
    const smoothing = this.secondsPerStep === 0 ? 1 : 0.1;
    this.secondsPerStep += smoothing * (seconds - this.secondsPerStep);
    this.tokensPerSecond += smoothing * (result.targetTokens / seconds - this.tokensPerSecond);
    return {
      kind: 'step',
      step: this.step,
      epoch: this.epoch,
      loss: result.loss,
      gradNorm: result.gradNorm,
      learningRate: result.learningRate,
      targetTokens: result.targetTokens,
      tokensPerSecond: this.tokensPerSecond,
      etaSeconds: this.etaSeconds(),
    };
  }

  /** Marks the end of the current epoch and returns its 'epoch' event. */
  endEpoch(): TrainEvent {
    const event: TrainEvent = { kind: 'epoch', step: this.step, epoch: this.epoch };
    this.batchesPerEpoch = this.batchesInEpoch;
    this.epoch += 1;
    this.batchesInEpoch = 0;
    return event;
  }

  /**
   * True when a resumed run stopped at a step whose validation had not completed (Ctrl-C during
   * evaluate): the caller runs `validate` before training on, as the uninterrupted run did.
   */
  get pendingValidation(): boolean {
    const every = this.options.validateEvery;
    return (
      every !== undefined && this.step > 0 && this.step % every === 0 && this.lastValidatedStep !== this.step
    );
  }

  /** Validation and periodic checkpoints due after the step just taken; returns 'early-stopping' when due. */
  async afterStep(emit: (event: TrainEvent) => void): Promise<DoneReason | null> {
    const every = this.options.validateEvery;
    let reason: DoneReason | null = null;
    if (every !== undefined && every > 0 && this.step % every === 0) reason = await this.validate(emit);
    const checkpoint = this.options.checkpoint;
    if (checkpoint && this.step % (checkpoint.every ?? TRAINING_DEFAULTS.checkpointEvery) === 0) {
      if ((checkpoint.keepLast ?? TRAINING_DEFAULTS.keepLast) > 0) {
        const folder = path.join(checkpoint.dir, `step-${String(this.step).padStart(7, '0')}`);
        this.save(folder, true);
        emit({ kind: 'checkpoint', step: this.step, epoch: this.epoch, path: folder, checkpoint: 'step' });
        this.pruneStepFolders();
      }
      this.saveLast(emit);
    }
    return reason;
  }

  /**
   * Validates now unless this step was just validated; returns 'early-stopping' when patience ran
   * out. A `final` validation (at the end of a run, off the validateEvery grid) only updates the best
   * score: it feeds neither the plateau schedule nor the patience counter, so a run stopped at
   * maxSteps and then resumed with a larger maxSteps follows the uninterrupted run exactly.
   */
  async validate(emit: (event: TrainEvent) => void, final = false): Promise<DoneReason | null> {
    if (!this.options.devBatches || this.lastValidatedStep === this.step) return null;
    const { loss, targetTokens } = this.trainer.validate(this.options.devBatches);
    if (targetTokens === 0) {
      throw new SubflowError('CONFIG_INVALID', `the dev set gave no batches at step ${this.step}`, {
        key: 'training.devBatches',
        hint: 'pass the dev batches as an array: a generator can be read only once',
      });
    }
    const extra = this.options.evaluate ? await this.options.evaluate(this.model) : {};
    const score = this.metric === 'loss' ? loss : extra[this.metric];
    if (score === undefined) {
      throw new SubflowError('BAD_ARGUMENT', `evaluate returned no ${this.metric} at step ${this.step}`, {
        hint: `early stopping on ${this.metric} needs evaluate to return { ${this.metric}: number }`,
      });
    }
    const minDelta = this.options.earlyStopping?.minDelta ?? 0;
    const gain =
      this.bestScore === null
        ? Infinity
        : this.metric === 'loss'
          ? this.bestScore - score
          : score - this.bestScore;
    // A diverged (NaN) score never counts as an improvement. While pruning still removes weights, a
    // validation neither becomes best/ (a denser model would win and be what evaluate and users pick)
    // nor counts against early stopping's patience (the loss is meant to rise then).
    const pruning = this.options.prune !== undefined && this.step < this.options.prune.endStep;
    const improved = !pruning && Number.isFinite(score) && gain > minDelta;
    // All state changes of a validation happen here, after the awaited evaluate, so a Ctrl-C during
    // evaluate saves a state without this validation, and the resumed run redoes it (pendingValidation).
    this.lastValidatedStep = this.step;
    if (!final) this.trainer.reportValidation(loss);
    if (improved) {
      this.bestScore = score;
      this.bestStep = this.step;
      this.badValidations = 0;
    } else if (!final && !pruning) {
      this.badValidations += 1;
    }
    emit({
      kind: 'validation',
      step: this.step,
      epoch: this.epoch,
      validLoss: loss,
      targetTokens,
      ...extra,
      improved,
      bestScore: this.bestScore ?? undefined,
    });
    const checkpoint = this.options.checkpoint;
    if (improved && checkpoint) {
      const folder = path.join(checkpoint.dir, 'best');
      this.save(folder, false);
      emit({ kind: 'checkpoint', step: this.step, epoch: this.epoch, path: folder, checkpoint: 'best' });
    }
    const patience = this.options.earlyStopping?.patience;
    return patience !== undefined && this.badValidations >= patience ? 'early-stopping' : null;
  }

  /** Writes the resumable `last/` checkpoint unless it already holds this exact state. */
  saveLast(emit?: (event: TrainEvent) => void): void {
    const checkpoint = this.options.checkpoint;
    const stateKey = this.step * 1e6 + this.epoch; // epoch can advance without a step (epoch end)
    if (!checkpoint || this.lastSavedKey === stateKey) return;
    const folder = path.join(checkpoint.dir, 'last');
    this.save(folder, true);
    this.lastSavedKey = stateKey;
    emit?.({ kind: 'checkpoint', step: this.step, epoch: this.epoch, path: folder, checkpoint: 'last' });
  }

  /**
   * The 'done' event for `reason`. Its epoch is the last one trained in: right after an epoch ends
   * the state already points at the next one (for resuming), which the event does not report.
   */
  doneEvent(reason: DoneReason): TrainEvent {
    const epoch = this.batchesInEpoch === 0 && this.epoch > 1 ? this.epoch - 1 : this.epoch;
    return { kind: 'done', step: this.step, epoch, reason, bestScore: this.bestScore ?? undefined };
  }

  /** Frees the optimiser's tensors (the model is the caller's). */
  dispose(): void {
    this.trainer.dispose();
  }

  /** Everything `trainer.json` + `optimizer.bin` hold. */
  resumeState(): ResumeState {
    const trainer = this.trainer.getState();
    return {
      step: trainer.step,
      epoch: this.epoch,
      batchesInEpoch: this.batchesInEpoch,
      seed: trainer.seed,
      schedule: trainer.schedule,
      bestScore: this.bestScore,
      bestStep: this.bestStep,
      badValidations: this.badValidations,
      lastValidatedStep: this.lastValidatedStep,
      elapsedMs: this.priorElapsedMs + (Date.now() - this.startedAt),
      optimizer: trainer.optimizer,
      ...(trainer.pruneMasks ? { pruneMasks: trainer.pruneMasks } : {}),
    };
  }

  private save(folder: string, resumable: boolean): void {
    const checkpoint = this.options.checkpoint!;
    saveCheckpoint(folder, this.model, {
      tokenizers: checkpoint.tokenizers,
      languages: checkpoint.languages,
      weightsDtype: checkpoint.weightsDtype,
      training: {
        step: this.step,
        epoch: this.epoch,
        bestScore: this.bestScore,
        bestMetric: this.metric,
        backend: tf.getBackend(),
        data: checkpoint.data,
      },
      resume: resumable ? this.resumeState() : undefined,
    });
  }

  private restore(folder: string): void {
    const loaded = loadCheckpoint(folder, { resume: true });
    assignWeights(this.model, loaded);
    const state = loaded.resume!;
    this.trainer.setState({
      step: state.step,
      seed: state.seed,
      optimizer: state.optimizer,
      schedule: state.schedule,
      ...(state.pruneMasks ? { pruneMasks: state.pruneMasks } : {}),
    });
    this.epoch = state.epoch;
    this.batchesInEpoch = state.batchesInEpoch;
    this.bestScore = state.bestScore;
    this.bestStep = state.bestStep;
    this.badValidations = state.badValidations;
    this.lastValidatedStep = state.lastValidatedStep ?? -1;
    this.priorElapsedMs = state.elapsedMs;
    this.lastSavedKey = state.step * 1e6 + state.epoch;
  }

  private pruneStepFolders(): void {
    const { dir, keepLast = TRAINING_DEFAULTS.keepLast } = this.options.checkpoint!;
    const steps = fs
      .readdirSync(dir)
      .filter((name) => /^step-\d+$/.test(name))
      .sort();
    for (const name of steps.slice(0, Math.max(steps.length - keepLast, 0)))
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }

  private etaSeconds(): number | undefined {
    const estimates: number[] = [];
    const { maxSteps, maxEpochs, maxMinutes } = this.options;
    if (maxSteps !== undefined) estimates.push((maxSteps - this.step) * this.secondsPerStep);
    if (maxMinutes !== undefined)
      estimates.push(Math.max(maxMinutes * 60 - (Date.now() - this.startedAt) / 1000, 0));
    if (maxEpochs !== undefined && this.batchesPerEpoch !== null) {
      const batchesLeft = (maxEpochs - this.epoch + 1) * this.batchesPerEpoch - this.batchesInEpoch;
      estimates.push(Math.max(batchesLeft, 0) * this.secondsPerStep);
    }
    return estimates.length === 0 ? undefined : Math.min(...estimates);
  }
}
