import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import {
  fusedKernelsActive,
  registerFusedKernels,
  setFusedKernelsEnabled,
} from '../../model/kernels/fusedKernels.js';
import { Adam, clipScale } from '../../model/optimizer.js';
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

  it('clipping scales the gradients by clip/max(norm, clip) and reports the norm before clipping', () => {
    expect(clipScale(5, 1)).to.equal(0.2);
    expect(clipScale(5, 10)).to.equal(1);
    expect(clipScale(5, 0)).to.equal(1);
    const clippedVars = quadratic([[1, 2], [3]]);
    const scaledVars = quadratic([[1, 2], [3]]);
    const clipped = new Adam(clippedVars, { learningRate: 0.1, clipNorm: 1 });
    const scaled = new Adam(scaledVars, { learningRate: 0.1, clipNorm: 0 });
    for (let step = 0; step < 3; step++) {
      const grads = { w0: tf.tensor1d([3, 0]), w1: tf.tensor1d([4 * (step + 1)]) };
      const norm = Math.hypot(3, 4 * (step + 1));
      expect(clipped.applyGradients(grads)).to.be.closeTo(norm, 1e-5);
      const manual = { w0: tf.mul(grads.w0, 1 / norm), w1: tf.mul(grads.w1, 1 / norm) };
      scaled.applyGradients(manual);
      tf.dispose([grads, manual]);
    }
    const a = values(clippedVars).flat();
    values(scaledVars)
      .flat()
      .forEach((x, i) => expect(a[i]).to.be.closeTo(x, 1e-6));
    clipped.dispose();
    scaled.dispose();
    dispose(clippedVars);
    dispose(scaledVars);
  });

  for (const fused of [true, false]) {
    it(`follows the Adam update of tf.train.adam (bias-corrected) to float32 precision (${fused ? 'fused kernel' : 'tfjs ops'})`, () => {
      registerFusedKernels();
      setFusedKernelsEnabled(fused);
      expect(fusedKernelsActive()).to.equal(fused);
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
      setFusedKernelsEnabled(true);
      adam.dispose();
      reference.dispose();
      dispose(ours);
      dispose(theirs);
    });
  }

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
