import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { REF_SMALL, resolveModelConfig } from '../../model/config.js';
import { isSubflowError } from '../../errors.js';
import { BOS_ID } from '../../types.js';
import { forEachDecodeStep, makeBatch, tinyModel, tinyPairs, useWasm } from './modelFixtures.js';

describe('Seq2Seq', function () {
  this.timeout(60_000);
  before(useWasm);

  describe('config', () => {
    it('defaults to ref-small and rejects bad values naming the key', () => {
      expect(resolveModelConfig()).to.deep.equal({ ...REF_SMALL });
      const cases: [Record<string, unknown>, string][] = [
        [{ decoderUnits: 0 }, 'model.decoderUnits'],
        [{ srcVocab: 4 }, 'model.srcVocab'],
        [{ dropout: 1 }, 'model.dropout'],
        [{ attention: 'dot' }, 'model.attention'],
        [{ hiddenUnits: 3 }, 'model.hiddenUnits'],
      ];
      for (const [partial, key] of cases) {
        try {
          resolveModelConfig(partial as never);
          expect.fail(`accepted ${JSON.stringify(partial)}`);
        } catch (error) {
          expect(isSubflowError(error, 'CONFIG_INVALID'), String(error)).to.equal(true);
          expect((error as { key?: string }).key).to.equal(key);
        }
      }
    });
  });

  it('ref-small has 12,137,280 parameters under stable names', () => {
    const model = tinyModel({ ...REF_SMALL, dropout: 0.2 });
    expect(model.countParameters()).to.equal(12_137_280);
    expect([...model.variables.keys()].slice(0, 3)).to.deep.equal([
      'source/embedding',
      'target/embedding',
      'encoder/l0/fwd/kernel',
    ]);
    expect(model.variables.get('decoder/out/bias')?.shape).to.deep.equal([8000]);
    model.dispose();
  });

  it('the same seed gives the same weights; forget-gate biases start at 1', () => {
    const a = tinyModel({}, 5);
    const b = tinyModel({}, 5);
    for (const [name, variable] of a.variables) {
      expect(Array.from(variable.dataSync()), name).to.deep.equal(
        Array.from(b.variables.get(name)!.dataSync()),
      );
    }
    const bias = Array.from(a.variables.get('decoder/l0/bias')!.dataSync());
    const units = a.config.decoderUnits;
    expect(bias.slice(units, 2 * units).every((v) => v === 1)).to.equal(true);
    expect(bias.slice(0, units).every((v) => v === 0)).to.equal(true);
    a.dispose();
    b.dispose();
  });

  it('padding rows added to a batch do not change the other rows', () => {
    const model = tinyModel({ dropout: 0.2 });
    const pairs = tinyPairs();
    const small = makeBatch(pairs);
    // Longer extra rows make every original row carry more source and target padding.
    const large = makeBatch([
      ...pairs,
      { src: [4, 5, 6, 7, 8, 9, 4, 5], tgt: [9, 9, 9, 9, 9, 9, 9] },
      { src: [7], tgt: [6] },
    ]);
    const a = model.logits(small);
    const b = model.logits(large);
    const [rows, tgtMax] = a.shape;
    const sliced = tf.slice(b, [0, 0, 0], [rows, tgtMax, -1]);
    const difference = tf.max(tf.abs(tf.sub(a, sliced))).dataSync()[0];
    expect(difference).to.be.below(1e-5);
    tf.dispose([a, b, sliced]);
    model.dispose();
  });

  it('tf.memory().numTensors does not grow across loss + gradient + Adam steps', () => {
    const model = tinyModel({ dropout: 0.2 });
    const batch = makeBatch(tinyPairs());
    const optimizer = tf.train.adam(1e-3);
    const variables = [...model.variables.values()];
    const step = (): void =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(batch, { training: true }), variables);
        optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
        value.dispose();
      });
    step(); // Adam creates its moment variables on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).to.equal(before);
    optimizer.dispose();
    model.dispose();
  });

  it('dropout is seeded: the same seed gives the same training loss, another seed another', () => {
    const model = tinyModel({ dropout: 0.3 });
    const batch = makeBatch(tinyPairs());
    const loss = (seed: number): number =>
      tf.tidy(() => model.loss(batch, { training: true, seed }).dataSync()[0]);
    expect(loss(4)).to.equal(loss(4));
    expect(loss(4)).to.not.equal(loss(5));
    const evaluation = tf.tidy(() => model.loss(batch, { training: false }).dataSync()[0]);
    expect(evaluation).to.equal(tf.tidy(() => model.loss(batch, { training: false }).dataSync()[0]));
    model.dispose();
  });

  /** Largest |decodeStep log p − teacher-forced log p| over a batch's real target steps. */
  function decodeStepDeviation(model: ReturnType<typeof tinyModel>): number {
    const batch = makeBatch(tinyPairs());
    const expected = tf.tidy(() => tf.logSoftmax(model.logits(batch)).arraySync() as number[][][]);
    let worst = 0;
    forEachDecodeStep(model, batch, (t, result) => {
      expect(result.logProbs.shape).to.deep.equal([batch.size, model.config.tgtVocab]);
      expect(result.attention.shape).to.deep.equal([batch.size, batch.srcMax]);
      const got = result.logProbs.arraySync();
      for (let row = 0; row < batch.size; row++) {
        if (batch.tgtOut[row * batch.tgtMax + t] === 0) continue; // past this row's end
        for (let k = 0; k < got[row].length; k++)
          worst = Math.max(worst, Math.abs(got[row][k] - expected[row][t][k]));
      }
    });
    return worst;
  }

  for (const options of [{}, { attention: 'bahdanau' as const, inputFeeding: true, decoderLayers: 2 }]) {
    it(`decodeStep reproduces the teacher-forced log-probabilities, also after a weight update ${JSON.stringify(options)}`, () => {
      const model = tinyModel(options);
      expect(decodeStepDeviation(model)).to.be.below(1e-5);
      // Decoding between training steps (validation) must see the updated weights.
      for (const [name, variable] of model.variables) {
        if (name.startsWith('decoder/l')) variable.assign(tf.tidy(() => tf.mul(variable, 1.5)));
      }
      expect(decodeStepDeviation(model)).to.be.below(1e-5);
      model.dispose();
    });
  }

  it('selectEncoderRows / selectDecoderRows repeat rows for a beam', () => {
    const model = tinyModel();
    const batch = makeBatch(tinyPairs());
    const encoder = model.encode(batch.src, batch.srcLen);
    const rows = new Int32Array([0, 0, 2, 2]);
    const beams = model.selectEncoderRows(encoder, rows);
    expect(beams.keys.shape).to.deep.equal([4, batch.srcMax, model.config.decoderUnits]);
    expect(beams.values.shape).to.deep.equal([4, batch.srcMax, 2 * model.config.encoderUnits]);
    expect(beams.h0.shape).to.deep.equal([1, 4, model.config.decoderUnits]);
    const state = model.initialDecoderState(beams);
    const step = model.decodeStep(beams, new Int32Array(4).fill(BOS_ID), state);
    const logProbs = step.logProbs.arraySync();
    expect(logProbs[0]).to.deep.equal(logProbs[1]);
    const attention = step.attention.arraySync();
    expect(attention[2][batch.srcLen[2]]).to.equal(0); // padded source position gets no attention
    const reordered = model.selectDecoderRows(step.newDecoderState, new Int32Array([3, 0]));
    expect(reordered.h.shape).to.deep.equal([1, 2, model.config.decoderUnits]);
    for (const s of [state, step.newDecoderState, reordered]) model.disposeDecoderState(s);
    model.disposeEncoderState(encoder);
    model.disposeEncoderState(beams);
    tf.dispose([step.logProbs, step.attention]);
    model.dispose();
  });

  it('rejects token ids outside the vocabulary with MODEL_MISMATCH', () => {
    const model = tinyModel({ srcVocab: 6 });
    const batch = makeBatch([{ src: [4, 9], tgt: [4] }]);
    expect(() => model.loss(batch, { training: false }))
      .to.throw()
      .that.satisfies((e: unknown) => isSubflowError(e, 'MODEL_MISMATCH'));
    model.dispose();
  });
});
