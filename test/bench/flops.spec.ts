import { expect } from 'chai';
import { decodeBatchFlops, trainStepFlops } from '../../bench/_flops.js';
import { REF_SMALL } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';

/**
 * Cross-check of the analytic counts against the model's own weight matrices: a matrix of m·n
 * entries applied to one row costs 2·m·n operations, so the forward products are 2 × (entries of
 * the matrices applied per source token × source tokens + per target token × target tokens + per
 * sentence × sentences) plus attention's two [srcLen]-long products per target token.
 */
describe('bench FLOP counts', () => {
  const [batch, srcLen, tgtLen] = [64, 20, 20];
  const model = new Seq2Seq({ ...REF_SMALL }, { seed: 1 });
  const entries = (prefix: RegExp): number =>
    [...model.variables]
      .filter(([name, v]) => prefix.test(name) && v.shape.length === 2 && !name.includes('embedding'))
      .reduce((sum, [, v]) => sum + v.size, 0);
  const perSourceToken = entries(/^(encoder\/|attention\/key)/);
  const perTargetToken = entries(/^(decoder\/|attention\/combine)/);
  const perSentence = entries(/^bridge\//);
  const attentionPerTargetToken = 2 * srcLen * (REF_SMALL.decoderUnits + 2 * REF_SMALL.encoderUnits);
  after(() => model.dispose());

  it('a ref-small training step is 3× its forward products (58.0 GFLOP for 64 × 20 × 20)', () => {
    const forward =
      2 * (perSourceToken * batch * srcLen + perTargetToken * batch * tgtLen + perSentence * batch) +
      attentionPerTargetToken * batch * tgtLen;
    expect(trainStepFlops(REF_SMALL, batch, srcLen, tgtLen)).to.equal(3 * forward);
    expect(trainStepFlops(REF_SMALL, batch, srcLen, tgtLen) / 1e9).to.be.closeTo(57.99, 0.01);
  });

  it('decoding counts the encoder once per sentence and every step on batch·beam rows', () => {
    const [sentences, steps, beam] = [32, 30, 5];
    const encoder = 2 * (perSourceToken * sentences * srcLen + perSentence * sentences);
    const perRowStep = 2 * perTargetToken + attentionPerTargetToken;
    expect(decodeBatchFlops(REF_SMALL, sentences, srcLen, steps, beam)).to.equal(
      encoder + steps * sentences * beam * perRowStep,
    );
    expect(decodeBatchFlops(REF_SMALL, sentences, srcLen, steps, 1)).to.equal(
      encoder + steps * sentences * perRowStep,
    );
  });
});
