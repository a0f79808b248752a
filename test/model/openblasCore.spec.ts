import { expect } from 'chai';
import { utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  cachedProbe,
  coreForFeatures,
  cpuIdentity,
  decideCore,
  probeCore,
  type CoreProbe,
} from '../../model/kernels/openblasCore.js';
import { loadNativeAddon } from '../../model/kernels/nativeAddon.js';
import { useTempDir } from '../helpers/tempDir.js';

// None of these tests sets OPENBLAS_CORETYPE: the choice is tested with faked detection and
// self-test results, and the real child probes ask only for the family this machine already uses.

const AVX512 = [
  'sse3',
  'ssse3',
  'sse4.2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512dq',
  'avx512vl',
];
const LIBRARY = '/usr/lib/libopenblas.so.0';

function probe(core: string, selfTest?: CoreProbe['selfTest']): CoreProbe {
  return { core, config: `OpenBLAS 0.3.21 DYNAMIC_ARCH ${core} MAX_THREADS=64`, library: LIBRARY, selfTest };
}

const passed = { passed: true, worst: 0.1, failure: '' };
const never = (): CoreProbe => {
  throw new Error('no child process should run here');
};

describe('OpenBLAS kernel family from CPU features', function () {
  this.timeout(120_000);
  const tempDir = useTempDir();

  it('picks the best family the features allow', () => {
    expect(coreForFeatures([...AVX512, 'avx512bf16'])).to.equal('Cooperlake');
    expect(coreForFeatures(AVX512)).to.equal('SkylakeX');
    expect(coreForFeatures(AVX512.filter((f) => f !== 'avx512vl')), 'AVX-512 without VL').to.equal('Haswell');
    expect(coreForFeatures(['sse3', 'ssse3', 'sse4.2', 'avx', 'avx2', 'fma'])).to.equal('Haswell');
    expect(coreForFeatures(['sse3', 'ssse3', 'sse4.2', 'avx', 'avx2']), 'AVX2 without FMA').to.equal(
      'Sandybridge',
    );
    expect(coreForFeatures(['sse3', 'ssse3', 'sse4.2'])).to.equal('Nehalem');
    expect(coreForFeatures(['sse3'])).to.equal('Prescott');
    expect(coreForFeatures([]), 'not x86-64').to.equal(undefined);
  });

  it('a misdetected AVX-512 CPU gets SkylakeX once its self-test passes, and the line says so', () => {
    const tested: string[] = [];
    const choice = decideCore({
      userCoretype: undefined,
      features: AVX512,
      detect: () => probe('Prescott'),
      test: (core) => {
        tested.push(core);
        return probe(core, passed);
      },
    });
    expect(tested).to.deep.equal(['SkylakeX']);
    expect(choice.coretype).to.equal('SkylakeX');
    expect(choice.describe('SkylakeX')).to.equal(
      'SkylakeX kernels, chosen from CPU features; OpenBLAS detected Prescott',
    );
  });

  it("falls back to OpenBLAS's own choice when the chosen family computes wrong products or crashes, saying so", () => {
    const wrong = decideCore({
      userCoretype: '',
      features: AVX512,
      detect: () => probe('Prescott'),
      test: (core) =>
        probe(core, { passed: false, worst: 4e6, failure: '17×33×65 Bᵀ: error 4e+06× the float32 bound' }),
    });
    expect(wrong.coretype).to.equal(undefined);
    expect(wrong.describe('Prescott')).to.equal(
      'Prescott kernels as OpenBLAS detected; SkylakeX, chosen from CPU features, failed the self-test: wrong products (17×33×65 Bᵀ: error 4e+06× the float32 bound)',
    );
    const crashed = decideCore({
      userCoretype: undefined,
      features: AVX512,
      detect: () => probe('Prescott'),
      test: () => ({ core: '', config: '', library: '', error: 'crashed (SIGILL)' }),
    });
    expect(crashed.coretype).to.equal(undefined);
    expect(crashed.describe('Prescott')).to.include(
      'SkylakeX, chosen from CPU features, failed the self-test: crashed (SIGILL)',
    );
    const ignored = decideCore({
      userCoretype: undefined,
      features: AVX512,
      detect: () => probe('Prescott'),
      test: () => probe('Haswell', passed),
    });
    expect(ignored.coretype, 'OpenBLAS ran another family than asked').to.equal(undefined);
  });

  it("keeps OpenBLAS's own choice when it is already as good as the features allow, without a self-test", () => {
    const same = decideCore({
      userCoretype: undefined,
      features: [...AVX512, 'avx512bf16'],
      detect: () => probe('Cooperlake'),
      test: never,
    });
    expect(same.coretype).to.equal(undefined);
    expect(same.describe('Cooperlake')).to.equal(
      'Cooperlake kernels, detected by OpenBLAS, as the CPU features allow',
    );
    const zen = decideCore({
      userCoretype: undefined,
      features: AVX512.slice(0, 6),
      detect: () => probe('Zen'),
      test: never,
    });
    expect(zen.coretype, "AMD's Zen kernels are AVX2 kernels").to.equal(undefined);
    expect(zen.describe('Zen')).to.equal('Zen kernels, detected by OpenBLAS');
    const newer = decideCore({
      userCoretype: undefined,
      features: AVX512,
      detect: () => probe('SapphireRapids'),
      test: never,
    });
    expect(newer.coretype, 'a family this table does not know').to.equal(undefined);
  });

  it("the user's OPENBLAS_CORETYPE always wins, and no child runs", () => {
    const choice = decideCore({ userCoretype: 'Haswell', features: AVX512, detect: never, test: never });
    expect(choice.coretype).to.equal(undefined);
    expect(choice.describe('Haswell')).to.equal('Haswell kernels, set by OPENBLAS_CORETYPE');
    const unknown = decideCore({ userCoretype: 'Bogus', features: AVX512, detect: never, test: never });
    expect(unknown.describe('Cooperlake')).to.equal(
      'Cooperlake kernels: OpenBLAS does not know OPENBLAS_CORETYPE=Bogus, so it chose by itself',
    );
  });

  it('caches a probe per CPU and family until the library file changes; failed probes are not cached', () => {
    const library = join(tempDir(), 'libopenblas.so.0');
    writeFileSync(library, 'v1');
    let runs = 0;
    const run = (): CoreProbe => {
      runs += 1;
      return { ...probe('SkylakeX', passed), library };
    };
    const cpu = cpuIdentity(
      AVX512,
      'vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Processor\n',
    );
    expect(cpu).to.include('GenuineIntel|6|85');
    expect(cachedProbe(tempDir(), cpu, 'SkylakeX', run).selfTest).to.deep.equal(passed);
    expect(cachedProbe(tempDir(), cpu, 'SkylakeX', run).core).to.equal('SkylakeX');
    expect(runs, 'second start reads the cache').to.equal(1);
    cachedProbe(tempDir(), cpu, 'Cooperlake', run);
    cachedProbe(tempDir(), `${cpu}-other`, 'SkylakeX', run);
    expect(runs, 'another family or CPU is probed anew').to.equal(3);
    utimesSync(library, new Date(), new Date(Date.now() + 60_000));
    cachedProbe(tempDir(), cpu, 'SkylakeX', run);
    expect(runs, 'an updated library is probed anew').to.equal(4);
    const failing = (): CoreProbe => {
      runs += 1;
      return { core: '', config: '', library: '', error: 'crashed (SIGSEGV)' };
    };
    cachedProbe(tempDir(), cpu, 'Haswell', failing);
    cachedProbe(tempDir(), cpu, 'Haswell', failing);
    expect(runs).to.equal(6);
  });

  describe('with the native addon', () => {
    let addonPath = '';
    before(function () {
      if (!loadNativeAddon().addon || !loadNativeAddon().status.available) this.skip();
      addonPath = createRequire(import.meta.url).resolve('subflow-native');
    });

    it("a child loads the family asked for and passes the self-test (this machine's own family)", () => {
      const core = loadNativeAddon().addon!.info().core;
      const result = probeCore(addonPath, core);
      expect(result.error).to.equal(undefined);
      expect(result.core).to.equal(core);
      expect(result.config).to.match(/^OpenBLAS [\d.]+/);
      expect(result.library).to.match(/openblas/);
      expect(result.selfTest).to.include({ passed: true, products: 136, failure: '' });
      expect(result.selfTest!.worst).to.be.below(1);
    });

    it('a child that dies of SIGILL is reported as a crash, not taken down with it', () => {
      const result = probeCore(addonPath, 'SkylakeX', "process.kill(process.pid, 'SIGILL')");
      expect(result.error).to.equal('crashed (SIGILL)');
      const exited = probeCore(
        addonPath,
        'SkylakeX',
        "console.error('Illegal instruction'); process.exit(3)",
      );
      expect(exited.error).to.equal('exited with 3: Illegal instruction');
    });

    it('reports the kernel family in the backend line, with the reason', () => {
      expect(loadNativeAddon().status.description).to.match(
        /^OpenBLAS [\d.]+ \(\w+ kernels(, set by OPENBLAS_CORETYPE|, detected by OpenBLAS.*|, chosen from CPU features; OpenBLAS detected \w+| as OpenBLAS detected; .*)\), \d+ threads$/,
      );
    });
  });
});
