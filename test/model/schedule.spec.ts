import { expect } from 'chai';
import { createSchedule } from '../../model/schedule.js';
import { isSubflowError } from '../../errors.js';

describe('model/schedule', () => {
  it('constant keeps the base rate', () => {
    const schedule = createSchedule({ kind: 'constant' }, 1e-3);
    expect([1, 10, 100_000].map((s) => schedule.rateAt(s))).to.deep.equal([1e-3, 1e-3, 1e-3]);
  });

  it('inverse-sqrt warms up linearly, peaks at warmupSteps, then decays as 1/√step', () => {
    const schedule = createSchedule({ kind: 'inverse-sqrt', warmupSteps: 100 }, 1e-3);
    expect(schedule.rateAt(1)).to.be.closeTo(1e-5, 1e-12);
    expect(schedule.rateAt(50)).to.be.closeTo(5e-4, 1e-12);
    expect(schedule.rateAt(100)).to.be.closeTo(1e-3, 1e-12);
    expect(schedule.rateAt(400)).to.be.closeTo(5e-4, 1e-12);
    expect(schedule.rateAt(10_000)).to.be.closeTo(1e-4, 1e-12);
  });

  it('plateau lowers the rate after more than `patience` validations without improvement, down to the minimum', () => {
    const schedule = createSchedule(
      { kind: 'plateau', factor: 0.5, patience: 1, minLearningRate: 3e-4 },
      1e-3,
    );
    const rates: number[] = [];
    for (const loss of [5, 4, 4.5, 4.2, 4.1, 4.3, 4.4, 4.5, 4.6]) {
      schedule.onValidation(loss);
      rates.push(schedule.rateAt(1));
    }
    // 5 ✓, 4 ✓, 4.5 bad 1, 4.2 bad 2 → halve, 4.1 bad 1, 4.3 bad 2 → halve, 4.4 bad 1, 4.5 → floor, 4.6 bad 1
    expect(rates).to.deep.equal([1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 3e-4, 3e-4, 3e-4, 3e-4]);
  });

  it('a bare name means that schedule with its defaults', () => {
    expect(createSchedule('inverse-sqrt', 1e-3).rateAt(4000)).to.be.closeTo(1e-3, 1e-12);
    expect(createSchedule('inverse-sqrt', 1e-3).rateAt(16000)).to.be.closeTo(5e-4, 1e-12);
    expect(createSchedule('plateau', 1e-3).getState()).to.deep.equal({
      kind: 'plateau',
      learningRate: 1e-3,
      bestLoss: null,
      badValidations: 0,
    });
  });

  it('plateau state survives a save and restore', () => {
    const a = createSchedule({ kind: 'plateau', factor: 0.1, patience: 0 }, 1e-3);
    a.onValidation(2);
    a.onValidation(3);
    const b = createSchedule({ kind: 'plateau', factor: 0.1, patience: 0 }, 1e-3);
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.rateAt(1)).to.be.closeTo(1e-4, 1e-15);
    a.onValidation(2.5);
    b.onValidation(2.5);
    expect(b.rateAt(1)).to.equal(a.rateAt(1));
  });

  it('rejects bad settings with CONFIG_INVALID naming the key, and a state of another kind', () => {
    expect(() => createSchedule({ kind: 'inverse-sqrt', warmupSteps: 0 }, 1e-3))
      .to.throw()
      .that.satisfies(
        (e: unknown) => isSubflowError(e, 'CONFIG_INVALID') && e.key === 'training.schedule.warmupSteps',
      );
    expect(() => createSchedule({ kind: 'plateau', factor: 2 }, 1e-3)).to.throw(/schedule\.factor/);
    expect(() => createSchedule({ kind: 'constant' }, 0)).to.throw(/learningRate/);
    const constant = createSchedule({ kind: 'constant' }, 1e-3);
    expect(() => constant.setState({ kind: 'plateau' })).to.throw(/saved schedule is "plateau"/);
  });
});
