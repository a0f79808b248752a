import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { beamSearch } from '../../model/beamSearch.js';
import { greedySearch } from '../../model/greedy.js';
import { search } from '../../model/search.js';
import { lengthPenalty, topKOfRow, type Hypothesis } from '../../model/searchInternals.js';
import { resolveModelConfig } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { isSubflowError } from '../../errors.js';
import { EOS_ID } from '../../types.js';
import { ToyDecodingModel } from './toyDecodingModel.js';

const A = 4;
const B = 5;
const C = 6;

/** Greedy's first choice (A, p 0.6) leads nowhere good; B (p 0.4) ends almost surely next. */
function trapModel(): ToyDecodingModel {
  return new ToyDecodingModel(7, {
    1: { [A]: 0.6, [B]: 0.4 },
    [A]: { [EOS_ID]: 0.34, [A]: 0.33, [C]: 0.33 },
    [B]: { [EOS_ID]: 0.99 },
    [C]: { [EOS_ID]: 0.5, [C]: 0.5 },
  });
}

/** EOS is all but impossible: every sentence runs to its length limit. */
function endlessModel(): ToyDecodingModel {
  const rows: Record<number, Record<number, number>> = {};
  for (let from = 0; from < 7; from++) rows[from] = { [EOS_ID]: 1e-6, [A]: 0.5, [B]: 0.3 };
  return new ToyDecodingModel(7, rows);
}

function tinySeq2Seq(seed = 3): Seq2Seq {
  return new Seq2Seq(
    resolveModelConfig({
      srcVocab: 20,
      tgtVocab: 20,
      embedding: 8,
      encoderUnits: 8,
      decoderUnits: 16,
      attentionalUnits: 16,
      dropout: 0,
    }),
    { seed },
  );
}

/** Sources of various lengths, each ending with EOS. */
function sources(): Int32Array[] {
  return [
    [5, 6, 7, EOS_ID],
    [9, EOS_ID],
    [4, 4, 8, 12, 13, 19, 7, EOS_ID],
    [11, 10, EOS_ID],
    [17, 18, 16, 15, 14, EOS_ID],
  ].map((ids) => Int32Array.from(ids));
}

const plain = (hyps: Hypothesis[][]) => hyps.map((list) => list.map((h) => Array.from(h.tokens)));

describe('model/beamSearch', () => {
  before(async () => {
    if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  });

  it('finds the higher-scoring sequence that greedy misses on a hand-built model', () => {
    const model = trapModel();
    const src = [Int32Array.from([A, EOS_ID])];
    const [greedy] = greedySearch(model, src, { alpha: 0 });
    const [beam] = beamSearch(model, src, { beam: 2, alpha: 0 });
    expect(Array.from(greedy[0].tokens)).to.deep.equal([A]);
    expect(greedy[0].score).to.be.closeTo(Math.log(0.6 * 0.34), 1e-5);
    expect(Array.from(beam[0].tokens)).to.deep.equal([B]);
    expect(beam[0].score).to.be.closeTo(Math.log(0.4 * 0.99), 1e-5);
    expect(beam[0].score).to.be.greaterThan(greedy[0].score);
    model.dispose();
  });

  it('beam 1 equals greedy (tokens, scores, token log-probs, attention), with and without min length', () => {
    const model = tinySeq2Seq();
    for (const minLength of [0, 4]) {
      const options = { alpha: 0.6, minLength, returnTokenLogProbs: true, returnAttention: true };
      const greedy = greedySearch(model, sources(), options);
      const beam = beamSearch(model, sources(), { ...options, beam: 1 });
      expect(plain(beam)).to.deep.equal(plain(greedy));
      beam.forEach(([b], i) => {
        const g = greedy[i][0];
        expect(b.score).to.equal(g.score);
        expect(Array.from(b.tokenLogProbs!)).to.deep.equal(Array.from(g.tokenLogProbs!));
        expect(b.attention!.map((row) => Array.from(row))).to.deep.equal(
          g.attention!.map((row) => Array.from(row)),
        );
        expect(b.tokens.length).to.be.at.least(minLength);
      });
    }
    model.dispose();
  });

  it('search() takes the greedy path for beam 1 and beam search otherwise', () => {
    const model = trapModel();
    const src = [Int32Array.from([A, EOS_ID])];
    expect(Array.from(search(model, src, { beam: 1, alpha: 0 })[0][0].tokens)).to.deep.equal([A]);
    expect(Array.from(search(model, src, { beam: 3, alpha: 0 })[0][0].tokens)).to.deep.equal([B]);
    model.dispose();
  });

  it('batched search equals one sentence at a time', () => {
    const model = tinySeq2Seq(5);
    for (const beam of [1, 4]) {
      const batched = search(model, sources(), { beam, nBest: beam });
      const single = sources().map((source) => search(model, [source], { beam, nBest: beam })[0]);
      expect(plain(batched)).to.deep.equal(plain(single));
      batched.forEach((list, i) =>
        list.forEach((h, j) => expect(h.score).to.be.closeTo(single[i][j].score, 1e-4)),
      );
    }
    model.dispose();
  });

  it('returns n-best lists sorted by score, each score logProb / ((5+len)/6)^α', () => {
    const model = tinySeq2Seq(7);
    const results = beamSearch(model, sources(), { beam: 5, nBest: 5, alpha: 0.6 });
    for (const list of results) {
      expect(list).to.have.length(5);
      for (let i = 1; i < list.length; i++) expect(list[i - 1].score).to.be.at.least(list[i].score);
      for (const h of list) {
        const length = h.tokens.length + (h.finished ? 1 : 0);
        expect(h.score).to.be.closeTo(h.logProb / lengthPenalty(length, 0.6), 1e-9);
      }
      const distinct = new Set(list.map((h) => Array.from(h.tokens).join(' ')));
      expect(distinct.size).to.equal(5);
    }
    model.dispose();
  });

  it('respects the maximum length (ratio · srcLen + constant), forcing EOS there', () => {
    const model = endlessModel();
    const src = [Int32Array.from([A, EOS_ID]), Int32Array.from([A, A, A, A, EOS_ID])];
    for (const beam of [1, 3]) {
      const results = search(model, src, { beam });
      expect(results.map(([h]) => h.tokens.length)).to.deep.equal([2 * 1 + 10, 2 * 4 + 10]);
      expect(results.every(([h]) => h.finished)).to.equal(true);
      const custom = search(model, src, { beam, maxLengthRatio: 1.5, maxLengthConstant: 1 });
      expect(custom.map(([h]) => h.tokens.length)).to.deep.equal([2, 7]);
    }
    model.dispose();
  });

  it('respects the minimum length; by default 1, so a model keen on EOS still gives a token', () => {
    const eager: Record<number, Record<number, number>> = {};
    for (let from = 0; from < 7; from++) eager[from] = { [EOS_ID]: 0.9, [B]: 0.05 };
    const model = new ToyDecodingModel(7, eager);
    const src = [Int32Array.from([A, EOS_ID])];
    for (const beam of [1, 3]) {
      // The empty hypothesis (EOS first, p 0.9) outscores every other: only the minimum length stops it.
      const [[best]] = search(model, src, { beam });
      expect(Array.from(best.tokens)).to.deep.equal([B]);
      expect(best.finished).to.equal(true);
      expect(search(model, src, { beam, minLength: 0 })[0][0].tokens.length).to.equal(0);
      expect(search(model, src, { beam, minLength: 3 })[0][0].tokens.length).to.equal(3);
    }
    model.dispose();
  });

  it('drops finished sentences from the batch', () => {
    const src = [Int32Array.from([A, EOS_ID]), Int32Array.from([A, A, A, A, A, A, A, A, A, A, EOS_ID])];
    const greedyModel = endlessModel();
    greedySearch(greedyModel, src);
    // sentence 0 ends at step 12 (13 steps), sentence 1 at step 30 (31 steps)
    expect(greedyModel.rowsDecoded).to.equal(13 * 2 + 18);
    const beamModel = endlessModel();
    beamSearch(beamModel, src, { beam: 2 });
    // step 0 runs one row per sentence, then 2 rows each until sentence 0 ends
    expect(beamModel.rowsDecoded).to.equal(2 + 12 * 4 + 18 * 2);
    greedyModel.dispose();
    beamModel.dispose();
  });

  it('runs exactly fixedSteps steps without EOS in benchmark mode', () => {
    const model = tinySeq2Seq();
    for (const beam of [1, 3]) {
      const results = search(model, sources(), { beam, fixedSteps: 7 });
      for (const [h] of results) {
        expect(h.tokens.length).to.equal(7);
        expect(h.finished).to.equal(false);
        expect(Array.from(h.tokens)).to.not.include(EOS_ID);
      }
    }
    model.dispose();
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const model = tinySeq2Seq();
    const toy = trapModel();
    const run = () => {
      for (const beam of [1, 3]) {
        search(model, sources(), { beam, returnAttention: true, minLength: 2 });
        search(toy, [Int32Array.from([A, EOS_ID])], { beam });
        search(model, sources(), { beam, fixedSteps: 3 });
      }
    };
    run();
    const afterFirst = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).to.equal(afterFirst);
    model.dispose();
    toy.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('attention rows cover the real source positions and sum to 1', () => {
    const model = tinySeq2Seq();
    const results = beamSearch(model, sources(), { beam: 2, returnAttention: true });
    results.forEach(([h], i) => {
      expect(h.attention).to.have.length(h.tokens.length + (h.finished ? 1 : 0));
      for (const row of h.attention!) {
        expect(row).to.have.length(sources()[i].length);
        expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-4);
      }
    });
    model.dispose();
  });

  it('refuses impossible options', () => {
    const model = trapModel();
    const src = [Int32Array.from([A, EOS_ID])];
    for (const options of [{ beam: 0 }, { beam: 2, nBest: 3 }, { alpha: -1 }, { beam: 1.5 }]) {
      expect(() => search(model, src, options))
        .to.throw()
        .that.satisfies((e: unknown) => isSubflowError(e, 'BAD_ARGUMENT'));
    }
    model.dispose();
  });

  it('topKOfRow picks the k largest of a slice, best first, lower index on ties', () => {
    const values = Float32Array.from([9, 1, 5, 3, 5, -Infinity, 7, NaN, 2]);
    const top = topKOfRow(values, 1, 8, 3);
    expect(Array.from(top.indices.subarray(0, top.count))).to.deep.equal([5, 1, 3]);
    expect(Array.from(top.values)).to.deep.equal([7, 5, 5]);
    expect(topKOfRow(values, 1, 8, 3, 5).indices[0]).to.equal(1);
  });
});
