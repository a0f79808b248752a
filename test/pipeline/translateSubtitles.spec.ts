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
  statSync,
  utimesSync,
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
import { formatSrtTimestamp } from '../../subtitles/timestamp.js';
import { makeVideoFixtures, SPANISH_ASS, SPANISH_SRT, type VideoFixtures } from '../helpers/makeVideo.js';
import { useTempDir } from '../helpers/tempDir.js';
import { tinyCheckpoint } from '../operators/tinyCheckpoint.js';
import { PLAIN_JOB_OPTIONS } from '../helpers/subtitleJobOptions.js';

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

  it('keeps one-word cues: 4 cues in, 4 cues with words in the .srt and in each muxed track (bundled model)', async () => {
    const work = folder();
    // `hola` without punctuation, a few seconds from its neighbours: the bundled model used to give ''.
    const fourCues = [
      [1000, 'hola'],
      [4000, 'Adiós.'],
      [7000, 'hola'],
      [10000, 'Buenos días.'],
    ] as const;
    const srt = fourCues
      .map(
        ([ms, text], k) =>
          `${k + 1}\n${formatSrtTimestamp(ms)} --> ${formatSrtTimestamp(ms + 1500)}\n${text}\n`,
      )
      .join('\n');
    writeFileSync(join(work, 'four.es.srt'), srt);
    const videos = [
      ['mp4', 'mov_text'],
      ['mkv', 'srt'],
      ['webm', 'webvtt'],
    ].map(([ext, codec]) => {
      const video = join(work, `four-${ext}.${ext}`);
      // prettier-ignore
      execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=12',
        '-i', join(work, 'four.es.srt'), '-map', '0', '-map', '1',
        ...(ext === 'webm' ? ['-c:v', 'libvpx', '-deadline', 'realtime'] : ['-c:v', 'libx264', '-preset', 'ultrafast']),
        '-c:s', codec, '-metadata:s:s:0', 'language=spa', video]);
      return video;
    });
    const result = await runCli(['translate', '-q', ...videos, '--mux']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr, result.stderr).to.not.match(/source text was kept|left out/);

    for (const video of videos) {
      const ext = video.slice(video.lastIndexOf('.') + 1);
      // WebM's webvtt track is translated to WebVTT, the others to SRT.
      const subtitles = join(work, `four-${ext}.eng.${ext === 'webm' ? 'vtt' : 'srt'}`);
      const translated = (await readSubtitleFile(subtitles)).document.cues;
      expect(translated.map((cue) => cue.start)).to.deep.equal(fourCues.map(([ms]) => ms));
      for (const cue of translated) expect(cue.text, ext).to.match(/[a-z]/i);

      const muxed = join(work, `four-${ext}.eng.${ext}`);
      const added = (await probeMedia(muxed)).subtitleStreams.find((s) => s.language === 'eng')!;
      const sizes =
        execFileSync('ffprobe', ['-v', 'error', '-select_streams', String(added.index),
        '-show_entries', 'packet=size', '-of', 'csv=p=0', muxed], { encoding: 'utf8' }) // prettier-ignore
          .trim()
          .split('\n')
          .map(Number);
      // mov_text fills the gaps between cues with empty 2-byte samples.
      expect(
        sizes.filter((size) => size > (added.codec === 'mov_text' ? 2 : 0)),
        ext,
      ).to.have.length(4);
      const back = await extractSubtitleStream(muxed, { stream: added.index });
      expect(
        back.cues.map((cue) => cue.text.replace(/\s+/g, ' ')),
        ext,
      ).to.deep.equal(translated.map((cue) => cue.text.replace(/\s+/g, ' ')));
    }
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

  it('takes the decoding flags of translate-text (length limits, --replace-unk), but not --n-best', async () => {
    const work = folder();
    const srt = join(work, 'short.srt');
    writeFileSync(srt, SPANISH_SRT);
    const args = ['--max-length-ratio', '0', '--max-length-constant', '1', '--min-length', '0'];
    const result = await cli(srt, ...args, '--replace-unk', '--beam', '2');
    expect(result.code, result.stderr).to.equal(0);
    const translated = await readSubtitleFile(join(work, 'short.eng.srt'));
    const source = await readSubtitleFile(srt);
    // One output token per sentence at most: a word or less on every line. A sentence whose one token
    // is EOS has no translation, and its cue keeps the source text (no cue is left without words).
    const words = (line: string) =>
      line
        .replace(/<[^<>]*>/g, '')
        .replace(/^[-–—]/, '')
        .split(/\s+/)
        .filter(Boolean).length;
    const bare = (text: string) =>
      text
        .replace(/<[^<>]*>/g, '')
        .replace(/\s+/g, ' ')
        .trim();
    let shortened = 0;
    translated.document.cues.forEach((cue, i) => {
      if (bare(cue.text) === bare(source.document.cues[i].text)) return;
      for (const line of cue.text.split('\n')) expect(words(line), line).to.be.at.most(1);
      shortened += 1;
    });
    expect(shortened, 'cues translated within the length limit').to.be.at.least(1);
    const nBest = await cli(srt, '--n-best', '2');
    expect(nBest.code).to.equal(1);
    expect(nBest.stderr).to.match(/unknown option '--n-best'/);
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

  it('translates a cue longer than --max-source-length in parts, with a warning', async () => {
    const work = folder();
    const long = 'uno dos tres. cuatro cinco seis. siete ocho nueve. diez uno dos. tres cuatro cinco.';
    writeFileSync(join(work, 'long.srt'), `1\n00:00:01,000 --> 00:00:09,000\n${long}\n`);
    const result = await cli(join(work, 'long.srt'), '--max-source-length', '4');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.match(/its \d+ tokens were translated in \d+ parts of at most 4 /);
    const cues = (await readSubtitleFile(join(work, 'long.eng.srt'))).document.cues;
    expect(cues).to.have.length(1);
    expect(cues[0].text.split(/\s+/).length).to.be.at.least(10);
  });

  it('--skip-existing after an interrupted run translates only the files without outputs', async () => {
    const work = folder();
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) writeFileSync(join(work, `${name}.srt`), SPANISH_SRT);
    // The interrupted run: a shouting stand-in translator, stopped (like Ctrl-C) during c.
    const controller = new AbortController();
    let calls = 0;
    const partial = await runSubtitleJobs({
      files: names.map((name) => ({
        path: join(work, `${name}.srt`),
        kind: 'subtitle' as const,
        root: work,
      })),
      options: PLAIN_JOB_OPTIONS,
      reporter: createJobsReporter({ fileCount: 4, interactive: false, log: () => undefined }),
      signal: controller.signal,
      translateUnits: (units) => {
        if (++calls === 3) {
          controller.abort();
          return Promise.reject(new SubflowError('INTERRUPTED', 'stopped'));
        }
        return Promise.resolve(units.map((unit) => unit.toUpperCase()));
      },
    });
    expect(partial.interrupted).to.equal(true);
    const done = ['a', 'b'].map((name) => join(work, `${name}.eng.srt`));
    const before = done.map((path) => [readFileSync(path, 'utf8'), statSync(path).mtimeMs]);
    expect(before[0][0]).to.include('HOLA');

    const rerun = await cli(work, '--skip-existing');
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.match(
      /2 of 4 file\(s\) translated, 0 failed, 2 skipped \(outputs exist\); 6 cues in/,
    );
    expect(rerun.stderr).to.match(/\[1\/4\] .*a\.srt: skipped, outputs exist: .*a\.eng\.srt/);
    // a and b were not translated again (the model would have replaced the stand-in's capitals).
    expect(done.map((path) => [readFileSync(path, 'utf8'), statSync(path).mtimeMs])).to.deep.equal(before);
    expect(rerun.stdout.trim().split('\n')).to.deep.equal(
      ['c', 'd'].map((name) => join(work, `${name}.eng.srt`)),
    );
    for (const name of ['c', 'd'])
      expect(readFileSync(join(work, `${name}.eng.srt`), 'utf8')).to.not.include('HOLA');

    // An input edited since its output was written is translated again; without the flag, everything is.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(work, 'a.srt'), later, later);
    const edited = await cli(work, '--skip-existing');
    expect(edited.stderr).to.match(/1 of 4 file\(s\) translated, 0 failed, 3 skipped \(outputs exist\)/);
    expect(readFileSync(done[0], 'utf8')).to.not.include('HOLA');
    expect((await cli(work)).stderr).to.match(/4 of 4 file\(s\) translated, 0 failed;/);
  });

  it('names --skip-existing when an interrupted run stops', async () => {
    const work = folder();
    writeFileSync(join(work, 'a.srt'), SPANISH_SRT);
    const listeners = process.listenerCount('SIGINT');
    // Ctrl-C as soon as the command listens for it: before the first file.
    const timer = setInterval(() => {
      if (process.listenerCount('SIGINT') > listeners) {
        clearInterval(timer);
        process.emit('SIGINT', 'SIGINT');
      }
    }, 1);
    const result = await cli(work).finally(() => clearInterval(timer));
    expect(result.code).to.equal(130);
    expect(result.stderr).to.match(/rerun with --skip-existing/);
    expect(existsSync(join(work, 'a.eng.srt'))).to.equal(false);
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

  it('checks --out before loading the model: an input, or a file where a folder must be', async () => {
    const work = folder();
    const input = join(work, 'a.srt');
    writeFileSync(input, SPANISH_SRT);
    const afile = join(work, 'afile');
    writeFileSync(afile, 'x');
    const nowhere = join(work, 'no-model-here');
    const overwrite = await runCli(['translate', '-q', '--model', nowhere, input, '--out', input]);
    expect(overwrite.code).to.equal(1);
    expect(overwrite.stderr).to.match(/refusing to write .*a\.srt over the input/);
    expect(overwrite.stderr).to.not.include('no-model-here');
    for (const out of [join(afile, 'out.srt'), join(afile, 'deeper', 'out.srt'), afile]) {
      const result = await runCli(['translate', '-q', '--model', nowhere, input, '--out', out]);
      expect(result.code, out).to.equal(1);
      expect(result.stderr, out).to.include(`${afile} is a file, not a folder`);
      expect(result.stderr, out).to.not.include('EEXIST').and.not.include('ENOTDIR');
      expect(result.stderr, out).to.not.include('no-model-here');
    }
    expect(readdirSync(work).sort()).to.deep.equal(['a.srt', 'afile']);
    expect(readFileSync(afile, 'utf8')).to.equal('x');
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

  it('fails files that are not subtitles or hold no cues, writing nothing for them, even with --strict', async () => {
    const work = folder();
    const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001080200000090775', 'hex');
    writeFileSync(join(work, 'poster.srt'), png);
    writeFileSync(join(work, 'empty.srt'), '');
    writeFileSync(join(work, 'bom.srt'), '\uFEFF');
    writeFileSync(join(work, 'styles.ass'), SPANISH_ASS.slice(0, SPANISH_ASS.indexOf('[Events]')));
    for (const strict of [[], ['--strict']]) {
      const result = await cli(work, ...strict);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(
        /poster\.srt FAILED: .*poster\.srt is not a subtitle file: it is a PNG image/,
      );
      expect(result.stderr).to.match(/empty\.srt FAILED: no cues found in .*empty\.srt: the file is empty/);
      expect(result.stderr).to.match(
        /bom\.srt FAILED: no cues found in .*: the file holds only a byte order mark/,
      );
      expect(result.stderr).to.match(/styles\.ass FAILED: no cues found in .*: it has no \[Events\] section/);
      expect(result.stderr).to.match(/0 of 4 file\(s\) translated, 4 failed/);
      expect(readdirSync(work).sort()).to.deep.equal(['bom.srt', 'empty.srt', 'poster.srt', 'styles.ass']);
    }
  });

  describe('with a model that records its languages', () => {
    let esEn = '';
    let esDe = '';
    before(async () => {
      esEn = join(dir(), 'model-es-en');
      esDe = join(dir(), 'model-es-de');
      for (const [out, target] of [
        [esEn, 'en'],
        [esDe, 'de'],
      ]) {
        const exported = await runCli([
          'export-model',
          model,
          out,
          '--source-lang',
          'es',
          '--target-lang',
          target,
        ]);
        expect(exported.code, exported.stderr).to.equal(0);
      }
    });

    it("translates the track in the model's source language, not the default English one, and says which", async () => {
      const work = folder();
      const video = join(work, 'two.mp4');
      copyFileSync(fixtures.twoTrackMp4, video);
      const result = await runCli(['translate', '-q', '--model', esEn, video]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.match(
        /two\.mp4: subtitle stream #2 \(mov_text, spa\): the only text subtitle stream in the model's source language es \(spa\)/,
      );
      const translated = await readSubtitleFile(join(work, 'two.eng.srt'));
      const spanish = await extractSubtitleStream(video, { stream: 2 });
      expect(translated.document.cues.map((c) => [c.start, c.end])).to.deep.equal(
        spanish.cues.map((c) => [c.start, c.end]),
      );
    });

    it("without languages in the model, keeps today's rule (the default track) and says which", async () => {
      const work = folder();
      const result = await cli(fixtures.twoTrackMp4, '--out', work);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.match(
        /two\.mp4: subtitle stream #1 \(mov_text, eng\): the default one of 2 text subtitle streams/,
      );
    });

    it("defaults --to to the model's target language and refuses a --to that contradicts it", async () => {
      const work = folder();
      const input = join(work, 'a.srt');
      writeFileSync(input, SPANISH_SRT);
      const german = await runCli(['translate', '-q', '--model', esDe, input]);
      expect(german.code, german.stderr).to.equal(0);
      expect(existsSync(join(work, 'a.ger.srt'))).to.equal(true);
      for (const to of ['en', 'eng']) {
        const same = await runCli(['translate', '-q', '--model', esEn, input, '--to', to]);
        expect(same.code, same.stderr).to.equal(0);
      }
      const wrong = await runCli(['translate', '-q', '--model', esEn, input, '--to', 'fre']);
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(
        /--to fre contradicts the model .*model-es-en, which translates es → en \(eng\)/,
      );
      expect(readdirSync(work).sort()).to.deep.equal(['a.eng.srt', 'a.ger.srt', 'a.srt']);
    });
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
      options: PLAIN_JOB_OPTIONS,
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
