import type { Observable } from 'rxjs';
import type { FlowGate } from '../flowGate.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { Batch, EncodedPair, SentencePair, TrainEvent } from '../types.js';

/** The corpus splits a pipeline reads; each factory starts a fresh, cold read (one epoch). */
export interface CorpusSplits<T> {
  train: () => Observable<T>;
  dev?: () => Observable<T>;
  test?: () => Observable<T>;
}

/** Source and target tokenizers with the files they were loaded from. */
export interface TokenizerPair {
  source: Tokenizer;
  target: Tokenizer;
}

/** Where a run writes, what it prints, and the state that stages hand to each other. */
export interface PipelineContext {
  /** Folder of the config file; relative paths in the config are resolved against it. */
  configDir: string;
  /** Folder for everything the run writes (tokenizers, checkpoints, reports). */
  workDir: string;
  seed: number;
  backend: string;
  /** Aborted on Ctrl-C: stages stop cleanly and release what they hold. */
  signal: AbortSignal;
  /** Progress and notes for the user, on stderr. */
  log: (message: string) => void;
  /** Whether to draw progress bars (a TTY and not --quiet). */
  interactive: boolean;
  /** Told of every training event (the queue worker reports them as job progress). */
  onTrainEvent?: (event: TrainEvent) => void;
  pairs?: CorpusSplits<SentencePair>;
  /** Lets the train stage pause reading the train split, so training holds a bounded number of batches. */
  trainGate?: FlowGate;
  /** What the pairs are made of (files with size and mtime, cleaning options), to tell when a saved tokenizer is stale. */
  dataFingerprint?: string;
  tokenizers?: TokenizerPair;
  encoded?: CorpusSplits<EncodedPair>;
  /** Batches for one epoch; `epoch` seeds the shuffle so every epoch differs but reruns match. */
  batches?: { train: (epoch: number) => Observable<Batch>; dev?: () => Observable<Batch> };
  /** Folder of the checkpoint a train stage wrote or a load stage named. */
  modelDir?: string;
  /** Figures stages report, printed as JSON at the end of `subflow run`. */
  results: Record<string, unknown>;
}
