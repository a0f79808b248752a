import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { resolveBackend } from '../../model/backend.js';
import { blasStatus } from '../../model/kernels/blasKernels.js';
import { isSubflowError, type SubflowError } from '../../errors.js';

async function failure(run: () => Promise<unknown>): Promise<SubflowError> {
  try {
    await run();
  } catch (error) {
    if (isSubflowError(error)) return error;
    throw error;
  }
  throw new Error('expected a SubflowError');
}

describe('resolveBackend', function () {
  this.timeout(60_000);
  after(() => resolveBackend('wasm'));

  it('auto falls back to wasm here and says why the tfjs-node backends did not load', async () => {
    const resolved = await resolveBackend('auto');
    expect(resolved.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(resolved.reason).to.match(/^backend wasm/);
    expect(resolved.reason).to.include('tfjs-node-gpu: not installed');
    expect(resolved.reason).to.include('tfjs-node: not installed');
    expect(resolved.reason).to.include('single-threaded');
    expect(resolved.reason).to.not.include('\n');
  });

  it('says whether the matmuls run on OpenBLAS, and why not when the native addon is off', () => {
    const reasonWith = (env: NodeJS.ProcessEnv): string =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          "const m = await import('./model/backend'); console.log((await m.resolveBackend('wasm')).reason);",
        ],
        { env: { ...process.env, ...env }, encoding: 'utf8' },
      ).trim();
    expect(reasonWith({ SUBFLOW_NATIVE: 'off' })).to.equal(
      'backend wasm, single-threaded under Node, matmuls without OpenBLAS (native kernels turned off by SUBFLOW_NATIVE=off) (requested)',
    );
    if (blasStatus().available) {
      expect(reasonWith({})).to.match(
        /^backend wasm, single-threaded under Node, matmuls on OpenBLAS [\d.]+ \(\w+ kernels[^()]*\), \d+ threads \(requested\)$/,
      );
    }
  });

  it('an explicitly requested tensorflow backend that is missing is an error naming the fix', async () => {
    const error = await failure(() => resolveBackend('tensorflow'));
    expect(error.code).to.equal('BACKEND_UNAVAILABLE');
    expect(error.message).to.include('"tensorflow"');
    expect(error.hint).to.include('npm install @tensorflow/tfjs-node');
    expect(error.hint).to.include('--backend wasm');
    const gpu = await failure(() => resolveBackend('tensorflow-gpu'));
    expect(gpu.hint).to.include('npm install @tensorflow/tfjs-node-gpu');
  });

  it('cpu and wasm can be chosen by name', async () => {
    expect((await resolveBackend('cpu')).backend).to.equal('cpu');
    expect((await resolveBackend('wasm')).backend).to.equal('wasm');
  });

  it('an unknown name is BAD_ARGUMENT listing the choices', async () => {
    const error = await failure(() => resolveBackend('metal' as never));
    expect(error.code).to.equal('BAD_ARGUMENT');
    expect(error.hint).to.include('wasm');
  });
});
