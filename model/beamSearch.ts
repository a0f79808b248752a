import * as tf from '@tensorflow/tfjs';
import { BOS_ID, EOS_ID } from '../types.js';
import {
  isIdentity,
  lengthPenalty,
  maxOutputLength,
  padSources,
  resolveSearchOptions,
  sameRows,
  toHypothesis,
  topKLogSoftmaxRows,
  type DecodingModel,
  type Hypothesis,
  type HypothesisNode,
  type ResolvedSearchOptions,
  type StepTopK,
  type SearchOptions,
} from './searchInternals.js';

/** A candidate for a sentence's next beam: an expansion of a live row, or a finished hypothesis kept. */
interface Candidate {
  /** Length-normalised score used for ranking. */
  normalised: number;
  /** A finished hypothesis carried over unchanged (it re-emits EOS at no cost). */
  kept?: HypothesisNode;
  /** Otherwise: the live row it extends, the token and its log-probability. */
  row: number;
  token: number;
  tokenLogProb: number;
  logProb: number;
}

/**
 * Batched beam search (GNMT length penalty, Wu et al. 2016 §7) over many sentences at once, with
 * the PyTorch peer's semantics: finished hypotheses stay in their sentence's beam and re-emit EOS at
 * no cost, candidates rank by logProb / ((5+len)/6)^α with len counting EOS, and a sentence ends when
 * its whole beam has finished or at its length limit, where only EOS may follow.
 *
 * The encoder runs once for all sentences; each step runs one `decodeStep` over the live rows of all
 * unfinished sentences (finished hypotheses and finished sentences leave the batch) and takes each
 * row's best K tokens straight from the logits (topKLogSoftmaxRows), never sorting or copying K·V.
 *
 * @param sources token ids of each sentence, ending with EOS, [batch][srcLen]
 * @returns per sentence, the nBest hypotheses sorted by score, best first
 */
export function beamSearch<E, D>(
  model: DecodingModel<E, D>,
  sources: readonly Int32Array[],
  options: SearchOptions = {},
): Hypothesis[][] {
  const settings = resolveSearchOptions(options);
  const results: Hypothesis[][] = sources.map(() => []);
  if (sources.length === 0) return results;
  const padded = padSources(sources);
  const limits = sources.map((source) => maxOutputLength(source, settings));
  const beamFinished: HypothesisNode[][] = sources.map(() => []);

  const base = model.encode(padded.ids, padded.lengths);
  let encoder = base;
  let state = model.initialDecoderState(base);
  // The first step runs one row per sentence: the other K−1 beams would start at −∞ anyway.
  let rowSentence = Int32Array.from(sources, (_, index) => index);
  let rowNode: (HypothesisNode | undefined)[] = sources.map(() => undefined);
  let prevTokens = new Int32Array(sources.length).fill(BOS_ID);
  // The state row each row continues from (the beams' reordering), read by the next step itself,
  // and, where the model reads them in place, each row's sentence instead of selected encoder rows.
  let stateRows: Int32Array | undefined;
  const inPlaceEncoder = model.stepReadsEncoderRows?.() === true;
  let encoderRows: Int32Array | undefined;
  try {
    for (let step = 0; rowSentence.length > 0; step++) {
      const out = model.decodeStepLogits(encoder, prevTokens, state, stateRows, encoderRows);
      model.disposeDecoderState(state);
      state = out.newDecoderState;
      const banEos = settings.fixedSteps !== undefined || step < settings.minLength;
      const top = topKLogSoftmaxRows(out.logits, settings.beam, banEos ? EOS_ID : -1);
      const attention = settings.returnAttention ? (out.attention.dataSync() as Float32Array) : undefined;
      tf.dispose([out.logits, out.attention]);

      const next = { origin: [] as number[], token: [] as number[], sentence: [] as number[] };
      const nextNode: HypothesisNode[] = [];
      for (let first = 0; first < rowSentence.length;) {
        const sentence = rowSentence[first];
        let end = first;
        while (end < rowSentence.length && rowSentence[end] === sentence) end++;
        const candidates = collectCandidates(
          top,
          first,
          end,
          rowNode,
          beamFinished[sentence],
          step,
          limits[sentence],
          settings,
        );
        const chosen = candidates.slice(0, settings.beam);
        const finished: HypothesisNode[] = [];
        const live: { node: HypothesisNode; row: number }[] = [];
        const ranked: HypothesisNode[] = [];
        for (const candidate of chosen) {
          const node = candidate.kept ?? {
            token: candidate.token,
            parent: rowNode[candidate.row],
            logProb: candidate.logProb,
            length: step + 1,
            tokenLogProb: candidate.tokenLogProb,
            attention: attention?.slice(
              candidate.row * padded.srcMax,
              candidate.row * padded.srcMax + padded.lengths[sentence],
            ),
            finished: candidate.token === EOS_ID,
          };
          ranked.push(node);
          if (node.finished) finished.push(node);
          else live.push({ node, row: candidate.row });
        }
        const lastFixedStep = settings.fixedSteps !== undefined && step + 1 >= settings.fixedSteps;
        if (live.length === 0 || lastFixedStep) {
          results[sentence] = ranked.slice(0, settings.nBest).map((node) => toHypothesis(node, settings));
        } else {
          beamFinished[sentence] = finished;
          for (const { node, row } of live) {
            next.origin.push(row);
            next.token.push(node.token);
            next.sentence.push(sentence);
            nextNode.push(node);
          }
        }
        first = end;
      }
      if (next.origin.length === 0) break;
      const nextSentence = Int32Array.from(next.sentence);
      if (inPlaceEncoder) {
        encoderRows = isIdentity(nextSentence, sources.length) ? undefined : nextSentence;
      } else if (!sameRows(nextSentence, rowSentence)) {
        // Every row of a sentence has the same encoder state: gather from the one-row-per-sentence base.
        const selected = model.selectEncoderRows(base, nextSentence);
        if (encoder !== base) model.disposeEncoderState(encoder);
        encoder = selected;
      }
      const origin = Int32Array.from(next.origin);
      stateRows = isIdentity(origin, rowSentence.length) ? undefined : origin;
      rowSentence = nextSentence;
      rowNode = nextNode;
      prevTokens = Int32Array.from(next.token);
    }
  } finally {
    model.disposeDecoderState(state);
    if (encoder !== base) model.disposeEncoderState(encoder);
    model.disposeEncoderState(base);
  }
  return results;
}

/**
 * A sentence's candidates, best first: its finished hypotheses and the best K expansions of each
 * of its live rows [first, end). Live expansions all have length step+1, so one penalty divides them.
 */
function collectCandidates(
  top: StepTopK,
  first: number,
  end: number,
  rowNode: readonly (HypothesisNode | undefined)[],
  finished: readonly HypothesisNode[],
  step: number,
  limit: number,
  settings: ResolvedSearchOptions,
): Candidate[] {
  const candidates: Candidate[] = finished.map((node) => ({
    normalised: node.logProb / lengthPenalty(node.length, settings.alpha),
    kept: node,
    row: -1,
    token: EOS_ID,
    tokenLogProb: 0,
    logProb: node.logProb,
  }));
  const penalty = lengthPenalty(step + 1, settings.alpha);
  const fixed = settings.fixedSteps !== undefined;
  const atLimit = !fixed && step >= limit;
  for (let row = first; row < end; row++) {
    const parentLogProb = rowNode[row]?.logProb ?? 0;
    const add = (token: number, tokenLogProb: number) => {
      const logProb = parentLogProb + tokenLogProb;
      candidates.push({ normalised: logProb / penalty, row, token, tokenLogProb, logProb });
    };
    if (atLimit) {
      add(EOS_ID, top.eosLogProbs[row]);
      continue;
    }
    const base = row * settings.beam;
    for (let i = 0; i < top.counts[row]; i++) add(top.indices[base + i], top.values[base + i]);
  }
  // Stable sort: on equal scores kept hypotheses (listed first) and lower rows/ids win.
  return candidates.sort((a, b) => b.normalised - a.normalised);
}
