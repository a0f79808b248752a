import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Which OpenBLAS kernel family subflow asks for. OpenBLAS 0.3.21 picks its kernels from the CPU's
 * model number, and a CPU it does not know (common on cloud VMs that report a generic model name)
 * gets its Prescott (SSE3) kernels: 3–4× slower products on an AVX-512 machine. subflow instead
 * reads the CPU's features and asks for the family they allow, unless the user set
 * `OPENBLAS_CORETYPE` (that always wins). Some families compute wrong results or crash on some
 * processors, so a family subflow asks for (rather than the one OpenBLAS detected) must first pass
 * a numerical self-test in a child process; the outcome is cached per CPU and library.
 */

/** An x86-64 kernel family of OpenBLAS 0.3.21 and the CPU features its kernels use. */
interface CoreFamily {
  core: string;
  needs: readonly string[];
}

/**
 * The families subflow may choose, best first. Cooperlake's single-precision kernels are
 * SkylakeX's (it adds bfloat16 ones); it is what OpenBLAS itself picks for CPUs it knows with
 * AVX-512 BF16. Feature names as the addon's cpuFeatures() reports them.
 */
const FAMILIES: readonly CoreFamily[] = [
  { core: 'Cooperlake', needs: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512bf16'] },
  { core: 'SkylakeX', needs: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'] },
  { core: 'Haswell', needs: ['avx2', 'fma'] },
  { core: 'Sandybridge', needs: ['avx'] },
  { core: 'Nehalem', needs: ['sse4.2'] },
  { core: 'Prescott', needs: ['sse3'] },
];

/**
 * Instruction level of each x86-64 family name OpenBLAS 0.3.21 reports (openblas_get_corename),
 * to tell whether its own choice is already as good as the features allow: 5 AVX-512 with BF16,
 * 4 AVX-512, 3 AVX2+FMA, 2 AVX, 1 SSE4, 0 older. Names not listed (other architectures, later
 * OpenBLAS versions) count as unknown, and then OpenBLAS's own choice stands.
 */
const LEVELS: Readonly<Record<string, number>> = {
  cooperlake: 5,
  skylakex: 4,
  haswell: 3,
  zen: 3,
  excavator: 3,
  steamroller: 2,
  piledriver: 2,
  bulldozer: 2,
  sandybridge: 2,
  nehalem: 1,
  barcelona: 0,
  prescott: 0,
  core2: 0,
  penryn: 0,
  dunnington: 0,
  atom: 0,
  nano: 0,
  opteron: 0,
  opteron_sse3: 0,
  bobcat: 0,
  athlon: 0,
  banias: 0,
  northwood: 0,
  coppermine: 0,
  katmai: 0,
};

/** The best family the CPU's features allow (e.g. ['avx2', 'fma', …] → 'Haswell'), or undefined off x86-64. */
export function coreForFeatures(features: readonly string[]): string | undefined {
  const have = new Set(features);
  return FAMILIES.find((family) => family.needs.every((feature) => have.has(feature)))?.core;
}

/** What a child process found with one kernel family loaded (see probeCore). */
export interface CoreProbe {
  /** The family OpenBLAS runs (openblas_get_corename), '' when it did not load. */
  core: string;
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64". */
  config: string;
  /** The library file (symlinks resolved). */
  library: string;
  /** The self-test's verdict, when it ran. */
  selfTest?: { passed: boolean; worst: number; failure: string };
  /** Why the child gave no answer (crashed with SIGILL, timed out, …). */
  error?: string;
}

/** The kernel family to ask OpenBLAS for, and the words for the backend line. */
export interface CoreChoice {
  /** Passed to the addon's loadBlas (OPENBLAS_CORETYPE while the library loads); undefined: OpenBLAS decides. */
  coretype: string | undefined;
  /** The family expected to run, for the check after loading. */
  expected: string | undefined;
  /** Given the family that runs, the words for the backend line (without the parentheses). */
  describe(running: string): string;
}

/** What decideCore needs to know; `detect` and `test` run child processes in real use. */
export interface CoreInputs {
  /** The user's OPENBLAS_CORETYPE ('' or undefined when unset). */
  userCoretype: string | undefined;
  /** The CPU's features (the addon's cpuFeatures()). */
  features: readonly string[];
  /** What OpenBLAS picks by itself on this CPU. */
  detect(): CoreProbe;
  /** A family's self-test result. */
  test(core: string): CoreProbe;
}

/**
 * Decides which family to load: the user's OPENBLAS_CORETYPE if set; otherwise the best family the
 * features allow when OpenBLAS's own choice is a lower level and that family passes its self-test;
 * otherwise OpenBLAS's own choice. Children run only when they can change the outcome.
 */
export function decideCore(inputs: CoreInputs): CoreChoice {
  const user = inputs.userCoretype?.trim();
  if (user) {
    return {
      coretype: undefined,
      expected: undefined,
      describe: (running) =>
        running.toLowerCase() === user.toLowerCase()
          ? `${running} kernels, set by OPENBLAS_CORETYPE`
          : `${running} kernels: OpenBLAS does not know OPENBLAS_CORETYPE=${user}, so it chose by itself`,
    };
  }
  const wanted = coreForFeatures(inputs.features);
  if (wanted === undefined) {
    return { coretype: undefined, expected: undefined, describe: (running) => `${running} kernels` };
  }
  const detected = inputs.detect();
  const detectedLevel = LEVELS[detected.core.toLowerCase()];
  const wantedLevel = LEVELS[wanted.toLowerCase()];
  if (detected.error || detectedLevel === undefined || detectedLevel >= wantedLevel) {
    return {
      coretype: undefined,
      expected: detected.error ? undefined : detected.core,
      describe: (running) =>
        running === wanted
          ? `${running} kernels, detected by OpenBLAS, as the CPU features allow`
          : `${running} kernels, detected by OpenBLAS`,
    };
  }
  const tested = inputs.test(wanted);
  if (tested.error || !tested.selfTest?.passed || tested.core !== wanted) {
    const why = tested.error
      ? tested.error
      : tested.core !== wanted
        ? `OpenBLAS ran ${tested.core || 'nothing'} instead`
        : `wrong products (${tested.selfTest?.failure ?? 'no self-test result'})`;
    return {
      coretype: undefined,
      expected: detected.core,
      describe: (running) =>
        `${running} kernels as OpenBLAS detected; ${wanted}, chosen from CPU features, failed the self-test: ${why}`,
    };
  }
  return {
    coretype: wanted,
    expected: wanted,
    describe: (running) =>
      running === wanted
        ? `${running} kernels, chosen from CPU features; OpenBLAS detected ${detected.core}`
        : `${running} kernels although ${wanted} was asked for; OpenBLAS detected ${detected.core}`,
  };
}

/** The child's program: load OpenBLAS with the family in argv[2] ('' = OpenBLAS's own), report, self-test. */
const PROBE_SCRIPT = `
const addon = require(process.argv[1]);
addon.loadBlas(process.argv[2] || null);
const info = addon.info();
const report = { core: info.core, config: info.config, library: info.library };
if (!info.available) report.error = info.error;
else if (process.argv[2]) report.selfTest = addon.selfTest();
process.stdout.write(JSON.stringify(report));
`;

/**
 * Loads OpenBLAS in a child process (so a crash or SIGILL cannot take this process down) with
 * `core` as its kernel family, or with OpenBLAS's own choice when `core` is undefined, and runs
 * the self-test of the addon's selfTest() when a family was asked for.
 * @param addonPath the built addon (require.resolve('subflow-native'))
 * @param script the child's program (tests pass one that crashes)
 */
export function probeCore(addonPath: string, core: string | undefined, script = PROBE_SCRIPT): CoreProbe {
  const env = { ...process.env };
  // The child must see only the family asked for, and start without this process's loaders.
  delete env.OPENBLAS_CORETYPE;
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['-e', script, addonPath, core ?? ''], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const empty = { core: '', config: '', library: '' };
  if (child.error) return { ...empty, error: `could not start (${child.error.message})` };
  if (child.signal) return { ...empty, error: `crashed (${child.signal})` };
  try {
    return JSON.parse(child.stdout) as CoreProbe;
  } catch {
    const said = child.stderr.trim().split('\n').pop() ?? '';
    return {
      ...empty,
      error: `exited with ${child.status}${said ? `: ${said.slice(0, 160)}` : ''}`,
    };
  }
}

/** The CPU's identity for the cache: vendor, family, model, stepping, microcode, name, and the features. */
export function cpuIdentity(features: readonly string[], cpuinfo = readCpuinfo()): string {
  const first = cpuinfo.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string): string =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim() ?? '';
  return [
    process.arch,
    field('vendor_id'),
    field('cpu family'),
    field('model'),
    field('stepping'),
    field('microcode'),
    field('model name'),
    features.join(','),
  ].join('|');
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** One cached probe: valid while the library file is unchanged. */
interface CachedProbe {
  probe: CoreProbe;
  librarySize: number;
  libraryMtimeMs: number;
  ldLibraryPath: string;
}

type CacheFile = { version: 1; probes: Record<string, CachedProbe> };

/** The cache folder: $XDG_CACHE_HOME/subflow, else ~/.cache/subflow. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'subflow');
}

/**
 * A probe through the cache file `openblas-cores.json` in `cacheDir`, keyed by the CPU's identity
 * and the family asked for (or 'detected'). An entry counts only while the library it loaded has
 * the same size and modification time and LD_LIBRARY_PATH is unchanged; a failed probe (child gave
 * no answer) is not cached, so it is tried again at the next start.
 */
export function cachedProbe(
  cacheDir: string,
  cpu: string,
  core: string | undefined,
  run: () => CoreProbe,
): CoreProbe {
  const file = join(cacheDir, 'openblas-cores.json');
  const key = `${cpu}|${core ?? 'detected'}`;
  const ldLibraryPath = process.env.LD_LIBRARY_PATH ?? '';
  const cache = readCache(file);
  const hit = cache.probes[key];
  if (
    hit &&
    hit.ldLibraryPath === ldLibraryPath &&
    sameFile(hit.probe.library, hit.librarySize, hit.libraryMtimeMs)
  ) {
    return hit.probe;
  }
  const probe = run();
  if (probe.error || !probe.library) return probe;
  try {
    const stat = statSync(probe.library);
    cache.probes[key] = { probe, librarySize: stat.size, libraryMtimeMs: stat.mtimeMs, ldLibraryPath };
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(cache, null, 1)}\n`);
    renameSync(temp, file);
  } catch {
    // An unwritable cache only costs the probe again at the next start.
  }
  return probe;
}

function readCache(file: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (parsed.version === 1 && typeof parsed.probes === 'object' && parsed.probes) return parsed;
  } catch {
    // missing or damaged: start a new one
  }
  return { version: 1, probes: {} };
}

function sameFile(path: string, size: number, mtimeMs: number): boolean {
  try {
    const stat = statSync(path);
    return stat.size === size && stat.mtimeMs === mtimeMs;
  } catch {
    return false;
  }
}
