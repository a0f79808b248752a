import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { attend, attentionKeys, type AttentionWeights } from '../../model/attention.js';
import type { ModelConfig } from '../../model/config.js';
import { SeededRandom } from '../../random.js';
import { makeBatch, tinyModel, tinyPairs, useWasm } from './modelFixtures.js';

/**
 * Central finite differences in float32 with ε = 1e-2. The loss (≈ 2.4) carries float32 rounding
 * of about 1e-6 after accumulation, which the difference quotient turns into ≤ 1e-4 of noise
 * (1e-6 / 2ε); the truncation error ε²·f'''/6 is ≈ 2e-5 for these O(1)-weighted tiny nets. So an
 * analytic gradient must match within 3e-4 absolute plus 2 % relative; a wrong gradient (missing
 * term, wrong sign, wrong gate) is off by far more than that.
 */
const EPSILON = 1e-2;
const ABSOLUTE_TOLERANCE = 3e-4;
const RELATIVE_TOLERANCE = 0.02;

function checkGradients(overrides: Partial<ModelConfig>): void {
  const model = tinyModel(overrides);
  const batch = makeBatch(tinyPairs());
  const lossValue = (): number => tf.tidy(() => model.loss(batch, { training: false }).dataSync()[0]);
  const variables = [...model.variables.entries()];
  const { grads } = tf.variableGrads(
    () => model.loss(batch, { training: false }),
    variables.map(([, v]) => v),
  );
  const rng = new SeededRandom(3);
  const failures: string[] = [];
  for (const [name, variable] of variables) {
    const analytic = grads[variable.name].dataSync();
    const original = Float32Array.from(variable.dataSync());
    // The largest-gradient coordinate (proves the group is connected) and two random ones.
    let largest = 0;
    for (let i = 1; i < analytic.length; i++)
      if (Math.abs(analytic[i]) > Math.abs(analytic[largest])) largest = i;
    // At initialisation the tiny net's attention is near uniform, so the score weights' gradients
    // are ~1e-5 (nonzero, but below what float32 differences resolve): the attention test below
    // checks them at O(1) activations.
    if (analytic[largest] === 0) failures.push(`${name}: no gradient reaches this group`);
    for (const index of [largest, rng.int(original.length), rng.int(original.length)]) {
      const shifted = (delta: number): number => {
        const values = Float32Array.from(original);
        values[index] += delta;
        variable.assign(tf.tensor(values, variable.shape));
        return lossValue();
      };
      const numeric = (shifted(EPSILON) - shifted(-EPSILON)) / (2 * EPSILON);
      variable.assign(tf.tensor(original, variable.shape));
      const tolerance = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.abs(numeric);
      if (Math.abs(numeric - analytic[index]) > tolerance) {
        failures.push(`${name}[${index}]: analytic ${analytic[index]} vs numeric ${numeric}`);
      }
    }
  }
  tf.dispose(grads);
  model.dispose();
  expect(failures).to.deep.equal([]);
}

describe('model gradients match finite differences', function () {
  this.timeout(120_000);
  before(useWasm);

  it('for every parameter group of ref-small-shaped tiny model (Luong, 1 layer)', () => {
    checkGradients({});
  });

  it('with label smoothing off', () => {
    checkGradients({ labelSmoothing: 0 });
  });

  it('for the options: Bahdanau attention, input feeding, 2 encoder and 2 decoder layers', () => {
    checkGradients({ attention: 'bahdanau', inputFeeding: true, encoderLayers: 2, decoderLayers: 2 });
  });
});

/** Gradient check of `attend` alone, at activations of order 1 where attention is far from uniform. */
function checkAttention(kind: AttentionWeights['kind']): void {
  const rng = new SeededRandom(9);
  const random = (shape: number[]): tf.Variable =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1),
        shape,
      ),
    );
  const [batch, tgtLen, srcLen, dec, enc2, att] = [2, 3, 4, 5, 6, 4];
  const queries = random([batch, tgtLen, dec]);
  const values = random([batch, srcLen, enc2]);
  const keyKernel = random([enc2, dec]);
  const queryKernel = random([dec, dec]);
  const scoreVector = random([dec, 1]);
  const combineKernel = random([enc2 + dec, att]);
  const probe = tf.tensor(
    Float32Array.from({ length: batch * tgtLen * att }, () => 2 * rng.next() - 1),
    [batch, tgtLen, att],
  );
  const mask = tf.tensor2d([1, 1, 1, 0, 1, 1, 0, 0], [batch, srcLen]);
  const weights: AttentionWeights = {
    kind,
    keyKernel: keyKernel as unknown as tf.Tensor2D,
    queryKernel: queryKernel as unknown as tf.Tensor2D,
    scoreVector: scoreVector as unknown as tf.Tensor2D,
    combineKernel: combineKernel as unknown as tf.Tensor2D,
  };
  const objective = (): tf.Scalar =>
    tf.tidy(() => {
      const keys = attentionKeys(values as unknown as tf.Tensor3D, weights);
      const { attentional } = attend(
        queries as unknown as tf.Tensor3D,
        keys,
        values as unknown as tf.Tensor3D,
        mask,
        weights,
      );
      return tf.sum(tf.mul(attentional, probe)) as tf.Scalar;
    });
  const groups = {
    queries,
    values,
    keyKernel,
    combineKernel,
    ...(kind === 'bahdanau' ? { queryKernel, scoreVector } : {}),
  };
  const { grads } = tf.variableGrads(objective, Object.values(groups));
  const failures: string[] = [];
  for (const [name, variable] of Object.entries(groups)) {
    const analytic = grads[variable.name].dataSync();
    const original = Float32Array.from(variable.dataSync());
    for (let index = 0; index < original.length; index += 3) {
      const shifted = (delta: number): number => {
        const values2 = Float32Array.from(original);
        values2[index] += delta;
        variable.assign(tf.tensor(values2, variable.shape));
        return tf.tidy(() => objective().dataSync()[0]);
      };
      const numeric = (shifted(EPSILON) - shifted(-EPSILON)) / (2 * EPSILON);
      variable.assign(tf.tensor(original, variable.shape));
      if (Math.abs(numeric - analytic[index]) > ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.abs(numeric)) {
        failures.push(`${name}[${index}]: analytic ${analytic[index]} vs numeric ${numeric}`);
      }
    }
  }
  tf.dispose([grads, probe, mask, ...Object.values(groups), queryKernel, scoreVector]);
  expect(failures).to.deep.equal([]);
}

describe('attention gradients match finite differences', function () {
  this.timeout(60_000);
  before(useWasm);

  it('Luong general: queries, values, W_a, W_c', () => checkAttention('luong-general'));
  it('Bahdanau: queries, values, W_k, W_q, v, W_c', () => checkAttention('bahdanau'));
});
