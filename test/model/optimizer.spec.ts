import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { Adam, clipByGlobalNorm } from '../../model/optimizer.js';
import { isSubflowError } from '../../errors.js';
import { useCpuBackend } from './fakeModel.js';

/** Two variables and the gradients of a simple quadratic, f = Σ (w − target)². */
function quadratic(values: number[][]): Map<string, tf.Variable> {
  return new Map(values.map((v, i) => [`w${i}`, tf.variable(tf.tensor1d(v))]));
}

function gradsOf(variables: Map<string, tf.Variable>): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  for (const [name, v] of variables) grads[name] = tf.tidy(() => tf.mul(tf.sub(v, 3), 2));
  return grads;
}

function values(variables: Map<string, tf.Variable>): number[][] {
  return [...variables.values()].map((v) => Array.from(v.dataSync()));
}

function dispose(variables: Map<string, tf.Variable>): void {
  for (const v of variables.values()) v.dispose();
}

describe('model/optimizer', () => {
  before(useCpuBackend);

  it('clipByGlobalNorm scales all gradients by clip/norm and reports the norm before clipping', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.dataSync()[0]).to.be.closeTo(5, 1e-6);
    expect(Array.from(clipped.a.dataSync())).to.deep.equal([0.6000000238418579, 0]);
    expect(clipped.b.dataSync()[1]).to.be.closeTo(0.8, 1e-6);
    const unclipped = clipByGlobalNorm(grads, 10);
    expect(Array.from(unclipped.grads.b.dataSync())).to.deep.equal([0, 4]);
    const off = clipByGlobalNorm(grads, 0);
    expect(off.grads.a).to.equal(grads.a);
    tf.dispose([grads, clipped, norm, unclipped.grads, unclipped.norm, off.norm]);
  });

  it('follows the Adam update of tf.train.adam (bias-corrected) to float32 precision', () => {
    const ours = quadratic([[1, -2, 0.5], [4]]);
    const theirs = quadratic([[1, -2, 0.5], [4]]);
    const adam = new Adam(ours, { learningRate: 0.1, clipNorm: 0 });
    const reference = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
    for (let step = 0; step < 5; step++) {
      const g1 = gradsOf(ours);
      adam.applyGradients(g1);
      // tf.train optimizers look variables up by their registered tf name.
      const g2 = Object.entries(gradsOf(theirs)).map(([key, tensor]) => ({
        name: theirs.get(key)!.name,
        tensor,
      }));
      reference.applyGradients(g2);
      tf.dispose([g1, g2.map((g) => g.tensor)]);
    }
    const a = values(ours).flat();
    const b = values(theirs).flat();
    a.forEach((x, i) => expect(x).to.be.closeTo(b[i], 1e-5));
    expect(adam.step).to.equal(5);
    adam.dispose();
    reference.dispose();
    dispose(ours);
    dispose(theirs);
  });

  it('saved state continues bit-exactly in a fresh optimizer', () => {
    const a = quadratic([
      [1, 2],
      [0.5, -1, 7],
    ]);
    const adamA = new Adam(a, { learningRate: 0.05, clipNorm: 1 });
    for (let i = 0; i < 3; i++) tf.dispose(applyAndReturn(adamA, a));
    const b = quadratic(values(a));
    const adamB = new Adam(b, { learningRate: 0.05, clipNorm: 1 });
    adamB.setState(adamA.getState());
    expect(adamB.step).to.equal(3);
    for (let i = 0; i < 3; i++) {
      tf.dispose(applyAndReturn(adamA, a));
      tf.dispose(applyAndReturn(adamB, b));
    }
    expect(values(b)).to.deep.equal(values(a));
    adamA.dispose();
    adamB.dispose();
    dispose(a);
    dispose(b);
  });

  it('refuses a state of another shape with MODEL_MISMATCH naming the variable', () => {
    const a = quadratic([[1, 2]]);
    const b = quadratic([[1, 2, 3]]);
    const adamA = new Adam(a);
    const adamB = new Adam(b);
    expect(() => adamB.setState(adamA.getState()))
      .to.throw()
      .that.satisfies(
        (e: unknown) => isSubflowError(e, 'MODEL_MISMATCH') && /w0: saved \[2\]/.test(e.message),
      );
    adamA.dispose();
    adamB.dispose();
    dispose(a);
    dispose(b);
  });

  it('skips the update on a non-finite gradient norm and frees every temporary tensor', () => {
    const w = quadratic([[1, 2]]);
    const adam = new Adam(w);
    const before = tf.memory().numTensors;
    const bad = { w0: tf.tensor1d([NaN, 1]) };
    expect(adam.applyGradients(bad)).to.be.NaN;
    expect(values(w)).to.deep.equal([[1, 2]]);
    expect(adam.step).to.equal(0);
    bad.w0.dispose();
    const good = gradsOf(w);
    expect(adam.applyGradients(good)).to.be.closeTo(Math.hypot(4, 2), 1e-5);
    tf.dispose(good);
    expect(tf.memory().numTensors).to.equal(before);
    adam.dispose();
    dispose(w);
  });
});

function applyAndReturn(adam: Adam, variables: Map<string, tf.Variable>): tf.NamedTensorMap {
  const grads = gradsOf(variables);
  adam.applyGradients(grads);
  return grads;
}
