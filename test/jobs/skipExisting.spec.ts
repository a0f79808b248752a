import { expect } from 'chai';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputsComplete, type CompletenessOptions } from '../../jobs/skipExisting.js';
import type { InputFile } from '../../jobs/subtitleInputs.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('jobs/skipExisting: outputsComplete', () => {
  const temp = useTempDir();
  let n = 0;
  /** A fresh folder holding `names` (written in order, each a second newer than the one before). */
  const folder = (...names: string[]): string => {
    const dir = join(temp(), `case${++n}`);
    mkdirSync(dir, { recursive: true });
    const start = Date.now() / 1000 - 100;
    names.forEach((name, k) => {
      const path = join(dir, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, name);
      utimesSync(path, start + k, start + k);
    });
    return dir;
  };
  const options = (more: Partial<CompletenessOptions> = {}): CompletenessOptions => ({
    targetLanguage: 'eng',
    mux: false,
    fileCount: 1,
    ...more,
  });
  const subtitle = (path: string): InputFile => ({ path, kind: 'subtitle' });
  const video = (path: string): InputFile => ({ path, kind: 'video' });

  it('is incomplete while the output is missing, complete once it exists and is newer than its input', async () => {
    const dir = folder('a.srt');
    const missing = await outputsComplete(subtitle(join(dir, 'a.srt')), options());
    expect(missing.complete).to.equal(false);
    expect(missing.reason).to.equal('none of a.eng.srt, a.eng.vtt, a.eng.ass exists');

    const done = folder('a.srt', 'a.eng.srt');
    const check = await outputsComplete(subtitle(join(done, 'a.srt')), options());
    expect(check).to.deep.include({ complete: true, outputs: [join(done, 'a.eng.srt')] });
  });

  it('is incomplete when the input changed after the output was written', async () => {
    const dir = folder('a.eng.srt', 'a.srt');
    const check = await outputsComplete(subtitle(join(dir, 'a.srt')), options());
    expect(check.complete).to.equal(false);
    expect(check.reason).to.match(/a\.eng\.srt is older than its input/);
  });

  it('asks for the format that will be written: --format, the --out file name, else any subtitle format', async () => {
    const dir = folder('a.srt', 'a.eng.vtt');
    const input = subtitle(join(dir, 'a.srt'));
    expect((await outputsComplete(input, options())).complete).to.equal(true);
    expect((await outputsComplete(input, options({ format: 'vtt' }))).complete).to.equal(true);
    expect((await outputsComplete(input, options({ format: 'srt' }))).complete).to.equal(false);
    const named = await outputsComplete(input, options({ out: join(dir, 'a.eng.vtt') }));
    expect(named.complete).to.equal(true);
    expect((await outputsComplete(input, options({ out: join(dir, 'other.srt') }))).complete).to.equal(false);
  });

  it('looks under --out, keeping the sub-folders of a searched folder', async () => {
    const dir = folder('in/season1/e1.srt', 'out/season1/e1.eng.srt');
    const input: InputFile = {
      path: join(dir, 'in', 'season1', 'e1.srt'),
      kind: 'subtitle',
      root: join(dir, 'in'),
    };
    expect((await outputsComplete(input, options({ out: join(dir, 'out') }))).complete).to.equal(true);
    expect((await outputsComplete(input, options())).complete).to.equal(false);
  });

  it('with --mux, needs the muxed copy of a video too, but not of a subtitle file', async () => {
    const dir = folder('movie.mkv', 'notes.srt', 'movie.eng.srt', 'notes.eng.srt');
    const check = await outputsComplete(video(join(dir, 'movie.mkv')), options({ mux: true }));
    expect(check.complete).to.equal(false);
    expect(check.reason).to.match(/movie\.eng\.mkv does not exist/);
    expect((await outputsComplete(video(join(dir, 'movie.mkv')), options())).complete).to.equal(true);
    expect(
      (await outputsComplete(subtitle(join(dir, 'notes.srt')), options({ mux: true }))).complete,
    ).to.equal(true);

    const muxed = folder('movie.mkv', 'movie.eng.srt', 'movie.eng.mkv');
    const both = await outputsComplete(video(join(muxed, 'movie.mkv')), options({ mux: true }));
    expect(both.complete).to.equal(true);
    expect(both.outputs).to.deep.equal([join(muxed, 'movie.eng.srt'), join(muxed, 'movie.eng.mkv')]);
  });

  it('does not count a folder, or a temp file left by a killed run, as an output', async () => {
    const dir = folder('a.srt', '.a.eng.srt.123-abcd.tmp');
    mkdirSync(join(dir, 'a.eng.srt'));
    expect(
      (await outputsComplete(subtitle(join(dir, 'a.srt')), options({ format: 'srt' }))).complete,
    ).to.equal(false);
  });
});
