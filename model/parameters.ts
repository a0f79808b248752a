import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../random.js';
import type { AttentionWeights } from './attention.js';
import type { ModelConfig } from './config.js';
import { glorotUniform, lstmBias, orthogonal, zeros1d } from './init.js';
import type { LstmWeights } from './lstm.js';

/** How one variable is named, shaped and initialised. */
interface ParameterSpec {
  name: string;
  create: (rng: SeededRandom) => tf.Tensor;
}

function lstmSpecs(prefix: string, inputSize: number, units: number): ParameterSpec[] {
  return [
    { name: `${prefix}/kernel`, create: (rng) => glorotUniform(rng, inputSize, 4 * units) },
    { name: `${prefix}/recurrent`, create: (rng) => orthogonal(rng, units, 4 * units) },
    { name: `${prefix}/bias`, create: () => lstmBias(units) },
  ];
}

/**
 * Every trainable tensor of the network, in a fixed order (the order of this list is the order of
 * `Seq2Seq.variables` and of the initialiser's random draws). Names:
 * - `source/embedding` [srcVocab, emb], `target/embedding` [tgtVocab, emb]
 * - `encoder/l{k}/{fwd,bwd}/{kernel,recurrent,bias}`: kernel [in, 4·enc], recurrent [enc, 4·enc], bias [4·enc]
 * - `bridge/{h,c}/kernel` [2·enc, decoderLayers·dec], `bridge/{h,c}/bias` [decoderLayers·dec]
 * - `decoder/l{k}/{kernel,recurrent,bias}`: kernel [in, 4·dec] (in = emb, + attentional with input feeding)
 * - `attention/key` [2·enc, dec] (W_a or W_k); Bahdanau also `attention/query` [dec, dec], `attention/score` [dec, 1]
 * - `attention/combine` [2·enc + dec, attentional] (W_c)
 * - `decoder/out/kernel` [attentional, tgtVocab], `decoder/out/bias` [tgtVocab]
 */
function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { embedding: emb, encoderUnits: enc, decoderUnits: dec, attentionalUnits: att } = config;
  const specs: ParameterSpec[] = [
    { name: 'source/embedding', create: (rng) => glorotUniform(rng, config.srcVocab, emb) },
    { name: 'target/embedding', create: (rng) => glorotUniform(rng, config.tgtVocab, emb) },
  ];
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const inputSize = layer === 0 ? emb : 2 * enc;
    specs.push(...lstmSpecs(`encoder/l${layer}/fwd`, inputSize, enc));
    specs.push(...lstmSpecs(`encoder/l${layer}/bwd`, inputSize, enc));
  }
  for (const part of ['h', 'c']) {
    specs.push({
      name: `bridge/${part}/kernel`,
      create: (rng) => glorotUniform(rng, 2 * enc, config.decoderLayers * dec),
    });
    specs.push({ name: `bridge/${part}/bias`, create: () => zeros1d(config.decoderLayers * dec) });
  }
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const inputSize = layer > 0 ? dec : config.inputFeeding ? emb + att : emb;
    specs.push(...lstmSpecs(`decoder/l${layer}`, inputSize, dec));
  }
  specs.push({ name: 'attention/key', create: (rng) => glorotUniform(rng, 2 * enc, dec) });
  if (config.attention === 'bahdanau') {
    specs.push({ name: 'attention/query', create: (rng) => glorotUniform(rng, dec, dec) });
    specs.push({ name: 'attention/score', create: (rng) => glorotUniform(rng, dec, 1) });
  }
  specs.push({ name: 'attention/combine', create: (rng) => glorotUniform(rng, 2 * enc + dec, att) });
  specs.push({ name: 'decoder/out/kernel', create: (rng) => glorotUniform(rng, att, config.tgtVocab) });
  specs.push({ name: 'decoder/out/bias', create: () => zeros1d(config.tgtVocab) });
  return specs;
}

/**
 * Creates the network's variables, initialised from one seeded generator: Glorot uniform for
 * kernels and embeddings, orthogonal recurrent weights, zero biases except forget gates at 1.
 * tf variable names are left to tfjs (they must be globally unique); the map keys are ours.
 */
export function createParameters(config: ModelConfig, seed: number): Map<string, tf.Variable> {
  const rng = new SeededRandom(seed);
  const variables = new Map<string, tf.Variable>();
  for (const spec of parameterSpecs(config)) {
    const initial = spec.create(rng);
    variables.set(spec.name, tf.variable(initial, true));
    initial.dispose();
  }
  return variables;
}

/** Typed views of the variable map, grouped as the layers use them. */
export interface NetworkWeights {
  sourceEmbedding: tf.Tensor2D;
  targetEmbedding: tf.Tensor2D;
  encoder: { fwd: LstmWeights; bwd: LstmWeights }[];
  bridge: { hKernel: tf.Tensor2D; hBias: tf.Tensor1D; cKernel: tf.Tensor2D; cBias: tf.Tensor1D };
  decoder: LstmWeights[];
  attention: AttentionWeights;
  output: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
}

/** Groups the variables of `createParameters` (same config) into `NetworkWeights`. */
export function networkWeights(config: ModelConfig, variables: Map<string, tf.Variable>): NetworkWeights {
  const get = <T extends tf.Tensor>(name: string): T => {
    const variable = variables.get(name);
    if (!variable) throw new Error(`missing model variable ${name}`);
    return variable as unknown as T;
  };
  const lstm = (prefix: string): LstmWeights => ({
    kernel: get(`${prefix}/kernel`),
    recurrent: get(`${prefix}/recurrent`),
    bias: get(`${prefix}/bias`),
  });
  const encoder = [];
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    encoder.push({ fwd: lstm(`encoder/l${layer}/fwd`), bwd: lstm(`encoder/l${layer}/bwd`) });
  }
  const decoder = [];
  for (let layer = 0; layer < config.decoderLayers; layer++) decoder.push(lstm(`decoder/l${layer}`));
  const bahdanau = config.attention === 'bahdanau';
  return {
    sourceEmbedding: get('source/embedding'),
    targetEmbedding: get('target/embedding'),
    encoder,
    bridge: {
      hKernel: get('bridge/h/kernel'),
      hBias: get('bridge/h/bias'),
      cKernel: get('bridge/c/kernel'),
      cBias: get('bridge/c/bias'),
    },
    decoder,
    attention: {
      kind: config.attention,
      keyKernel: get('attention/key'),
      queryKernel: bahdanau ? get<tf.Tensor2D>('attention/query') : undefined,
      scoreVector: bahdanau ? get<tf.Tensor2D>('attention/score') : undefined,
      combineKernel: get('attention/combine'),
    },
    output: { kernel: get('decoder/out/kernel'), bias: get('decoder/out/bias') },
  };
}
