import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSubflowError } from '../../errors.js';
import type { JobsReporter } from '../../jobs/jobsReporter.js';
import { planRun, runSubtitleJobs } from '../../jobs/runSubtitleJobs.js';
import { checkPlannedOutputs } from '../../jobs/subtitleInputs.js';
import { useTempDir } from '../helpers/tempDir.js';
import { PLAIN_JOB_OPTIONS } from '../helpers/subtitleJobOptions.js';

const silent: JobsReporter = {
  fileStarted() {},
  cues() {},
  units() {},
  warning() {},
  fileDone() {},
  fileSkipped() {},
  fileFailed() {},
  stop() {},
};

const options = PLAIN_JOB_OPTIONS;

const upper = async (units: string[]) => units.map((unit) => unit.toUpperCase());

/**
 * Counts fs.promises.realpath calls made by `work`, through the real function: the ESM bindings of
 * node:fs/promises follow the module object after syncBuiltinESMExports.
 */
async function countRealpaths(work: () => Promise<void>): Promise<number> {
  const original = fsPromises.realpath;
  let calls = 0;
  fsPromises.realpath = ((...args: Parameters<typeof original>) => {
    calls += 1;
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    fsPromises.realpath = original;
    syncBuiltinESMExports();
  }
  return calls;
}

function library(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < count; k++) {
    writeFileSync(
      join(dir, `e${String(k).padStart(2, '0')}.srt`),
      `1\n00:00:01,000 --> 00:00:02,000\nhola ${k}\n`,
    );
  }
}

describe('jobs/runSubtitleJobs: output safety over many files', () => {
  const temp = useTempDir();

  it('resolves each input once per run, not once per output (linear, not quadratic, in the files)', async () => {
    const count = 40;
    const dir = join(temp(), 'many');
    library(dir, count);
    const { files } = await planRun([dir], options);
    const out = join(temp(), 'many-out');
    const calls = await countRealpaths(async () => {
      await checkPlannedOutputs(files, { targetLanguage: 'eng', out, fileCount: count, mux: false });
      const summary = await runSubtitleJobs({ files, options, out, reporter: silent, translateUnits: upper });
      expect(summary.translated).to.have.length(count);
    });
    // Each input once per check and each output a few times: O(files). Checking every output against
    // every input's real path afresh costs count² (1,600+) calls.
    expect(calls).to.be.below(10 * count);
    expect(readFileSync(join(out, 'e07.eng.srt'), 'utf8')).to.include('HOLA 7');
  });

  it('still refuses an output that is an input through a symlink', async () => {
    const dir = join(temp(), 'linked');
    library(dir, 2);
    const out = join(temp(), 'linked-out');
    mkdirSync(out);
    // e00's output name points at the other input, e01.srt.
    symlinkSync(join(dir, 'e01.srt'), join(out, 'e00.eng.srt'));
    const before = readFileSync(join(dir, 'e01.srt'), 'utf8');
    const { files } = await planRun([dir], options);
    const planned = await checkPlannedOutputs(files, {
      targetLanguage: 'eng',
      out,
      fileCount: 2,
      mux: false,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSubflowError(planned, 'OUTPUT_IS_INPUT')).to.equal(true);
    // The run checks again itself (the link may appear after planning).
    const summary = await runSubtitleJobs({ files, options, out, reporter: silent, translateUnits: upper });
    expect(summary.failed.map((failure) => failure.input)).to.deep.equal([join(dir, 'e00.srt')]);
    expect(isSubflowError(summary.failed[0].error, 'OUTPUT_IS_INPUT')).to.equal(true);
    expect(readFileSync(join(dir, 'e01.srt'), 'utf8')).to.equal(before);
  });
});
