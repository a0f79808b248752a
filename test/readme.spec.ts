// The README's "translation and subtitles" example, run as written against the bundled default model.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, from, lastValueFrom } from 'rxjs';
import {
  extractCues,
  extractSubtitleStream,
  loadModel,
  parseSubtitles,
  reflow,
  translate,
  translateCues,
  writeSubtitles,
  type TranslationModel,
} from 'subflow';
import { makeVideoFixtures } from './helpers/makeVideo.js';
import { useTempDir } from './helpers/tempDir.js';

const bundledModel = fileURLToPath(new URL('../models/bible-es-en', import.meta.url));

describe('README: translation and subtitles with the bundled model', () => {
  const dir = useTempDir();
  let model: TranslationModel;
  before(async () => {
    model = await loadModel(bundledModel);
  });
  after(() => model?.dispose());

  it('translates a sentence with translate()', async () => {
    const translation = await firstValueFrom(from(['Hola, mundo.']).pipe(translate(model, { beam: 5 })));
    expect(translation.source).to.equal('Hola, mundo.');
    expect(translation.text).to.be.a('string').and.not.equal('');
    expect(translation.score).to.be.below(0);
  });

  it('extracts, translates, reflows and writes a subtitle track with the cue times unchanged', async () => {
    const fixtures = await makeVideoFixtures();
    const out = join(dir(), 'movie.eng.srt');
    const written = await lastValueFrom(
      from([fixtures.mp4]).pipe(
        extractCues({ language: 'spa' }),
        translateCues(model, { beam: 5 }),
        reflow(),
        writeSubtitles({ path: out }),
      ),
    );
    expect(written).to.equal(out);
    const source = await extractSubtitleStream(fixtures.mp4, { language: 'spa' });
    const result = parseSubtitles(readFileSync(out, 'utf8'), 'srt').document;
    expect(result.cues.map((cue) => [cue.start, cue.end])).to.deep.equal(
      source.cues.map((cue) => [cue.start, cue.end]),
    );
    expect(result.cues.map((cue) => cue.text)).to.not.deep.equal(source.cues.map((cue) => cue.text));
  });
});
