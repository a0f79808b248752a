import * as tf from '@tensorflow/tfjs';
import { SubflowError } from '../errors.js';
import { registerBlasKernels } from './kernels/blasKernels.js';
import { registerFusedKernels } from './kernels/fusedKernels.js';
import { registerWasmTrainingKernels } from './kernels/wasmKernels.js';

/** The order `auto` tries, fastest first. */
const AUTO_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** Backend names a user may ask for (config key `backend`, CLI `--backend`); the first is the default. */
export const BACKEND_NAMES = ['auto', ...AUTO_ORDER] as const;

/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backend of a config or command that names none: `auto`. */
export const DEFAULT_BACKEND: BackendName = BACKEND_NAMES[0];

/** The backend that runs, and one line saying why the ones tried before it did not. */
export interface ResolvedBackend {
  /** tfjs backend name now active: 'tensorflow' (tfjs-node / tfjs-node-gpu), 'wasm' or 'cpu'. */
  backend: string;
  /** e.g. "backend wasm, single-threaded under Node (tfjs-node-gpu: not installed; tfjs-node: not installed)". */
  reason: string;
}

type ConcreteBackend = (typeof AUTO_ORDER)[number];

const FIX_HINTS: Record<ConcreteBackend, string> = {
  'tensorflow-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu` (needs CUDA/cuDNN), or use `--backend tensorflow`, `--backend wasm` or `--backend auto`',
  tensorflow:
    'install it with `npm install @tensorflow/tfjs-node`, or use `--backend wasm` or `--backend auto`',
  wasm: 'reinstall `@tensorflow/tfjs-backend-wasm` (npm install), or use `--backend cpu`',
  cpu: 'reinstall `@tensorflow/tfjs` (npm install)',
};

/** Why loading a module failed, in a few words: "not installed" or the first line of the error. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 160);
}

/**
 * Imports a module whose name is only known at run time, so TypeScript and bundlers do not
 * require the optional tfjs-node packages to be present.
 */
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** Loads and activates one backend; throws the loading error unchanged. Returns a note or ''. */
async function activate(name: ConcreteBackend): Promise<string> {
  let blasNote = '';
  switch (name) {
    case 'tensorflow-gpu':
      // tfjs-node-gpu registers itself as backend 'tensorflow' when imported.
      await importOptional('@tensorflow/tfjs-node-gpu');
      break;
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      registerFusedKernels();
      blasNote = describeBlas();
      break;
    case 'cpu':
      registerFusedKernels();
      blasNote = describeBlas();
      break;
  }
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
  await tf.ready();
  if (name === 'wasm' && !tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) {
    // Under Node the threaded wasm build cannot start its workers (they load from a blob: URL),
    // so tfjs falls back to the single-threaded SIMD build.
    return `, single-threaded under Node${blasNote}`;
  }
  return blasNote;
}

/** ", matmuls on OpenBLAS 0.3.21 (Cooperlake kernels), 2 threads" or why they are not. */
function describeBlas(): string {
  const blas = registerBlasKernels();
  return blas.available
    ? `, matmuls on ${blas.description}`
    : `, matmuls without OpenBLAS (${blas.description})`;
}

/**
 * Activates a TensorFlow.js backend. `auto` tries tfjs-node-gpu, tfjs-node, wasm and cpu in that
 * order and says in `reason` which one runs and why the earlier ones did not. A named backend that
 * cannot load throws `SubflowError('BACKEND_UNAVAILABLE')` with a hint naming the fix. Activating
 * wasm also registers the kernels it lacks for training (see `kernels/wasmKernels.ts`).
 */
export async function resolveBackend(name: BackendName): Promise<ResolvedBackend> {
  // Production mode: no debug checks, and no "install tfjs-node" banner on stderr, since the
  // resolver already says in one line which backend runs and why.
  tf.enableProdMode();
  if (name !== 'auto') {
    if (!(AUTO_ORDER as readonly string[]).includes(name)) {
      throw new SubflowError('BAD_ARGUMENT', `unknown backend "${String(name)}"`, {
        key: 'backend',
        hint: `choose one of ${BACKEND_NAMES.join(', ')}`,
      });
    }
    try {
      const note = await activate(name);
      return { backend: tf.getBackend(), reason: `backend ${name}${note} (requested)` };
    } catch (error) {
      throw new SubflowError(
        'BACKEND_UNAVAILABLE',
        `backend "${name}" cannot be loaded: ${describeFailure(error)}`,
        { key: 'backend', hint: FIX_HINTS[name], cause: error },
      );
    }
  }
  const failures: string[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      const note = await activate(candidate);
      const why = failures.length > 0 ? ` (${failures.join('; ')})` : '';
      return { backend: tf.getBackend(), reason: `backend ${candidate}${note}${why}` };
    } catch (error) {
      failures.push(`${moduleLabel(candidate)}: ${describeFailure(error)}`);
    }
  }
  throw new SubflowError('BACKEND_UNAVAILABLE', `no backend could be loaded (${failures.join('; ')})`, {
    key: 'backend',
    hint: FIX_HINTS.cpu,
  });
}

function moduleLabel(name: ConcreteBackend): string {
  return name === 'tensorflow-gpu' ? 'tfjs-node-gpu' : name === 'tensorflow' ? 'tfjs-node' : name;
}
