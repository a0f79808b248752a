import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { TranslateJobData, TranslateJobResult } from '../../queue/enqueueTranslations.js';
import { runTranslateJob, type JobTranslators } from '../../queue/translateJob.js';
import { useTempDir } from '../helpers/tempDir.js';
import { PLAIN_JOB_OPTIONS } from '../helpers/subtitleJobOptions.js';

/** An SRT whose every cue is too long for two 42-character lines, so reflow warns once per cue. */
function longCues(count: number): string {
  const text =
    'esta frase es demasiado larga para caber en dos líneas de subtítulo y sigue y sigue sin parar nunca';
  return Array.from(
    { length: count },
    (_, k) => `${k + 1}\n00:00:0${k},000 --> 00:00:0${k},900\n${text}\n`,
  ).join('\n');
}

describe('queue/translateJob: runTranslateJob', () => {
  const dir = useTempDir();
  const identity: JobTranslators = { get: async () => async (units) => units, dispose: () => undefined };

  it('logs the first five warnings of a file and then only their number, as `subflow translate` does', async () => {
    const input = join(dir(), 'long.srt');
    writeFileSync(input, longCues(9));
    const data: TranslateJobData = {
      input: { path: input, kind: 'subtitle' },
      fileCount: 1,
      options: PLAIN_JOB_OPTIONS,
      search: {},
      protect: [input],
      submission: 'sub-test',
    };
    const job = { data, updateProgress: async () => undefined } as unknown as Job<
      TranslateJobData,
      TranslateJobResult
    >;
    const lines: string[] = [];
    const result = await runTranslateJob(job, identity, (line) => lines.push(line));
    expect(result).to.include({ cues: 9, skipped: false });
    const warnings = lines.filter((line) => line.includes(': warning: '));
    expect(warnings, lines.join('\n')).to.have.length(5);
    expect(warnings[0]).to.match(/^worker: .*long\.srt: warning: cue 1 at 00:00:00,000: needs 3 lines/);
    expect(lines).to.include(`worker: ${input}: more warnings follow; only their number is reported`);
    expect(lines.at(-1)).to.equal(`worker: ${input}: 9 warnings in all`);
  });
});
