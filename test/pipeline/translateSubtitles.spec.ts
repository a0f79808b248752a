import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { SubflowError } from '../../errors.js';
import { runSubtitleJobs } from '../../jobs/runSubtitleJobs.js';
import { createJobsReporter } from '../../jobs/jobsReporter.js';
import { resolveModelDir, defaultModelDir } from '../../model/defaultModel.js';
import { runCli } from '../helpers/runCli.js';
import { extractSubtitleStream, probeMedia } from '../../subtitles/media.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { makeVideoFixtures, SPANISH_SRT, type VideoFixtures } from '../helpers/makeVideo.js';
import { useTempDir } from '../helpers/tempDir.js';
import { tinyCheckpoint } from '../operators/tinyCheckpoint.js';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A folder nobody may write into, even root (which ignores mode bits): chattr +i then. */
function makeReadOnly(dir: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return () => chmodSync(dir, 0o755);
  }
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    return () => execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
}

describe('subflow translate', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-translate-');
  let model = '';
  let fixtures: VideoFixtures;
  let n = 0;
  /** A fresh folder per test, so outputs of one test never meet another's. */
  const folder = (): string => {
    const path = join(dir(), `case${++n}`);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const cli = (...args: string[]) => runCli(['translate', '-q', '--model', model, ...args]);

  before(async () => {
    [model, fixtures] = await Promise.all([tinyCheckpoint(), makeVideoFixtures()]);
  });

  it('translates an MKV srt track to NAME.eng.srt with the same cues and times, and muxes a copy', async () => {
    const work = folder();
    const video = join(work, 'movie.mkv');
    copyFileSync(fixtures.mkv, video);
    const before = sha256(video);
    const result = await cli(video, '--stream', '2', '--mux');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.match(/1 of 1 file\(s\) translated, 0 failed; 3 cues in/);

    const srt = join(work, 'movie.eng.srt');
    const muxed = join(work, 'movie.eng.mkv');
    expect(result.stdout.trim().split('\n')).to.deep.equal([srt, muxed]);
    const source = await extractSubtitleStream(video, { stream: 2 });
    const translated = await readSubtitleFile(srt);
    expect(translated.document.cues.map((c) => [c.start, c.end])).to.deep.equal(
      source.cues.map((c) => [c.start, c.end]),
    );

    const [original, copy] = await Promise.all([probeMedia(video), probeMedia(muxed)]);
    expect(copy.streams).to.have.length(original.streams.length + 1);
    for (const stream of original.streams) {
      expect(copy.streams.some((s) => s.type === stream.type && s.codec === stream.codec)).to.equal(true);
    }
    const added = copy.subtitleStreams.filter((s) => s.language === 'eng');
    expect(added).to.have.length(1);
    expect(added[0].codec).to.equal('subrip');
    const remuxedCues = await extractSubtitleStream(muxed, { stream: added[0].index });
    expect(remuxedCues.cues.map((c) => [c.start, c.end])).to.deep.equal(
      source.cues.map((c) => [c.start, c.end]),
    );
    expect(sha256(video)).to.equal(before);
  });

  it('writes the subtitle file but reports a video whose container cannot take the track', async () => {
    const work = folder();
    const video = join(work, 'movie.avi'); // Matroska bytes under an AVI name: extraction works, muxing cannot
    copyFileSync(fixtures.mkv, video);
    const result = await cli(video, '--mux');
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/movie\.avi: a \.avi file cannot carry a text subtitle track/);
    expect(readdirSync(work).sort()).to.deep.equal(['movie.avi', 'movie.eng.srt']);
  });

  it('writes into --out with the chosen format and keeps sub-folders of a searched folder', async () => {
    const work = folder();
    mkdirSync(join(work, 'in', 'season1'), { recursive: true });
    writeFileSync(join(work, 'in', 'season1', 'ep1.srt'), SPANISH_SRT);
    const result = await cli(join(work, 'in'), '--out', join(work, 'out'), '--format', 'vtt', '--bom');
    expect(result.code, result.stderr).to.equal(0);
    const written = join(work, 'out', 'season1', 'ep1.eng.vtt');
    expect(readFileSync(written).subarray(0, 3)).to.deep.equal(Buffer.from([0xef, 0xbb, 0xbf]));
    expect((await readSubtitleFile(written)).document.cues).to.have.length(3);
  });

  it('takes the format from an --out file name, and refuses a --format that contradicts it', async () => {
    const work = folder();
    writeFileSync(join(work, 'a.srt'), SPANISH_SRT);
    const refused = await cli(join(work, 'a.srt'), '--format', 'ass', '--out', join(work, 'x.srt'));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/--format ass contradicts --out .*x\.srt/);
    expect(existsSync(join(work, 'x.srt'))).to.equal(false);
    const byName = await cli(join(work, 'a.srt'), '--out', join(work, 'x.ass'));
    expect(byName.code, byName.stderr).to.equal(0);
    expect(readFileSync(join(work, 'x.ass'), 'utf8')).to.match(/^\[Script Info\]/);
  });

  it('reports a corrupt file, still writes the good one, prints a summary and exits non-zero', async () => {
    const work = folder();
    writeFileSync(join(work, 'good.srt'), SPANISH_SRT);
    copyFileSync(fixtures.truncatedMkv, join(work, 'broken.mkv'));
    const result = await cli(work);
    expect(result.code).to.equal(1);
    expect(existsSync(join(work, 'good.eng.srt'))).to.equal(true);
    expect(existsSync(join(work, 'broken.eng.srt'))).to.equal(false);
    expect(result.stderr).to.match(/broken\.mkv FAILED: .*broken\.mkv/);
    expect(result.stderr).to.match(/1 of 2 file\(s\) translated, 1 failed; 3 cues in [\d.]+ s/);
    expect(result.stderr).to.match(/failed: .*broken\.mkv/);
  });

  it('skips outputs of an earlier run when searching a folder again', async () => {
    const work = folder();
    writeFileSync(join(work, 'a.srt'), SPANISH_SRT);
    expect((await cli(work)).code).to.equal(0);
    const again = await cli(work);
    expect(again.stderr).to.match(/1 of 1 file\(s\) translated/);
    expect(readdirSync(work).sort()).to.deep.equal(['a.eng.srt', 'a.srt']);
  });

  it('refuses to write over its input and leaves it unchanged', async () => {
    const work = folder();
    const input = join(work, 'a.srt');
    writeFileSync(input, SPANISH_SRT);
    const before = sha256(input);
    const result = await cli(input, '--out', input);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/refusing to write .*a\.srt over the input/);
    expect(sha256(input)).to.equal(before);
    expect(readdirSync(work)).to.deep.equal(['a.srt']);
  });

  it('says clearly when the output folder is read-only', async function () {
    const work = folder();
    const input = join(work, 'a.srt');
    writeFileSync(input, SPANISH_SRT);
    const out = join(work, 'locked');
    mkdirSync(out);
    const unlock = makeReadOnly(out);
    if (!unlock) this.skip();
    try {
      const result = await cli(input, '--out', out);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/cannot write .*locked\/a\.eng\.srt \((EACCES|EPERM)\)/);
      expect(result.stderr).to.match(/hint: choose an output folder/);
    } finally {
      unlock!();
    }
    expect(readdirSync(out)).to.deep.equal([]);
  });

  it('reports videos without a usable text track, with the reason for each', async () => {
    const work = folder();
    const result = await cli(
      fixtures.noSubtitlesMp4,
      fixtures.bitmapMkv,
      fixtures.truncatedMp4,
      '--out',
      work,
    );
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/silent\.mp4 FAILED: .*has no subtitle stream/);
    expect(result.stderr).to.match(/bitmap\.mkv FAILED: .*needs OCR/);
    expect(result.stderr).to.match(/truncated\.mp4 FAILED: .*truncated\.mp4[^]*moov atom not found/);
    expect(result.stderr).to.match(/0 of 3 file\(s\) translated, 3 failed/);
    expect(readdirSync(work)).to.deep.equal([]);
  });

  it('names the streams when --stream does not exist, and refuses --stream with --source-lang', async () => {
    const work = folder();
    const missing = await cli(fixtures.mkv, '--stream', '9', '--out', work);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(
      /stream #9 of .* does not exist; its subtitle streams are #2 \(subrip, spa\)/,
    );
    const both = await cli(fixtures.mkv, '--stream', '2', '--source-lang', 'spa');
    expect(both.code).to.not.equal(0);
    expect(both.stderr).to.match(/cannot be used with/);
  });

  it('repairs a malformed SRT with line-numbered warnings, or refuses it with --strict', async () => {
    const work = folder();
    const input = join(work, 'bad.srt');
    // No blank line between cues 1 and 2, an end before its start, an overlap, an unreadable timing
    // line, a timestamp with a dot, CRLF and cp1252 bytes.
    writeFileSync(
      input,
      Buffer.from(
        '1\r\n00:00:01,000 --> 00:00:02,000\r\nuno dos\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\n\xbftres?\r\n\r\n' +
          '3\r\n00:00:06,000 --> 00:00:05,000\r\ncuatro\r\n\r\n4\r\n00:00:05,500 --> 00:00:07,000\r\ncinco\r\n\r\n' +
          '5\r\n00:00:08 --> later\r\nseis\r\n\r\n6\r\n00:00:09.000 --> 00:00:10,000\r\nsiete\r\n',
        'latin1',
      ),
    );
    const before = sha256(input);
    const lenient = await cli(input);
    expect(lenient.code, lenient.stderr).to.equal(0);
    expect(lenient.stderr).to.match(/warning: line \d+: /);
    expect(lenient.stderr).to.match(/not UTF-8; decoded as windows-1252/);
    expect(lenient.stderr).to.match(/bad\.srt: 5 cues/);
    const written = await readSubtitleFile(join(work, 'bad.eng.srt'));
    expect(written.document.cues.map((c) => c.start)).to.deep.equal([1000, 3000, 6000, 5500, 9000]);

    const strictOut = join(work, 'strict');
    const strict = await cli(input, '--strict', '--out', strictOut);
    expect(strict.code).to.equal(1);
    expect(strict.stderr).to.match(/bad\.srt FAILED: .*bad\.srt:\d+: /);
    expect(existsSync(strictOut)).to.equal(false);
    expect(sha256(input)).to.equal(before);
  });

  it('checks language and encoding flags before loading the model', async () => {
    const work = folder();
    writeFileSync(join(work, 'a.srt'), SPANISH_SRT);
    const badLanguage = await runCli([
      'translate',
      '--model',
      join(work, 'nowhere'),
      work,
      '--to',
      'english',
    ]);
    expect(badLanguage.code).to.equal(1);
    expect(badLanguage.stderr).to.match(/"english" is not an ISO 639 language code/);
    const badEncoding = await runCli([
      'translate',
      '--model',
      join(work, 'nowhere'),
      work,
      '--encoding',
      'klingon',
    ]);
    expect(badEncoding.stderr).to.match(/unknown encoding "klingon"/);
    const noInput = await runCli(['translate', '--model', model, join(work, 'missing.mkv')]);
    expect(noInput.code).to.equal(1);
    expect(noInput.stderr).to.match(/nothing to translate: .*missing\.mkv does not exist/);
  });

  it('explains how to get a model when the default one is missing', function () {
    if (existsSync(join(defaultModelDir(), 'model.json'))) this.skip();
    expect(() => resolveModelDir()).to.throw(SubflowError, /default model .* is not there/);
    try {
      resolveModelDir();
    } catch (error) {
      expect((error as SubflowError).hint).to.match(/--model DIR.*subflow run config\/bible-es-en\.yaml/);
    }
  });

  it('stops on Ctrl-C without leaving a partial output under the final name', async () => {
    const work = folder();
    const input = join(work, 'a.srt');
    writeFileSync(input, SPANISH_SRT);
    writeFileSync(join(work, 'b.srt'), SPANISH_SRT);
    const controller = new AbortController();
    const summary = await runSubtitleJobs({
      files: [
        { path: input, kind: 'subtitle' },
        { path: join(work, 'b.srt'), kind: 'subtitle' },
      ],
      options: {
        targetLanguage: 'eng',
        mux: false,
        strict: false,
        bom: false,
        maxLineLength: 42,
        maxLines: 2,
      },
      reporter: createJobsReporter({ fileCount: 2, interactive: false, log: () => undefined }),
      signal: controller.signal,
      translateUnits: (units) => {
        controller.abort();
        return Promise.reject(new SubflowError('INTERRUPTED', `stopped before ${units.length} units`));
      },
    });
    expect(summary.interrupted).to.equal(true);
    expect(summary.failed).to.have.length(1);
    expect(readdirSync(work).sort()).to.deep.equal(['a.srt', 'b.srt']);
  });
});
