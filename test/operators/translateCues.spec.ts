import { expect } from 'chai';
import { join } from 'node:path';
import { from, lastValueFrom, of, Subject, toArray } from 'rxjs';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { modelTranslator, translateCues, type UnitTranslator } from '../../operators/translateCues.js';
import type { Cue } from '../../subtitles/cue.js';
import { prepareCues } from '../../subtitles/translateDocument.js';
import { TRANSLATE_DEFAULTS } from '../../model/translateSentences.js';
import { BUNDLED_MODEL, longestLoop, shortVerses } from '../helpers/bibleVerses.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { stripTags } from '../../subtitles/tags.js';
import { FIXTURE_DIR } from '../subtitles/fixtures.js';
import { tinyCheckpoint } from './tinyCheckpoint.js';

const CUES: Cue[] = [
  { start: 500, end: 1500, text: '<i>uno dos</i>' },
  { start: 1600, end: 2500, text: 'tres cuatro.' },
  { start: 3000, end: 4000, text: '[puerta]' },
  { start: 4200, end: 5000, text: '- cinco.\n- seis.' },
];

/** Upper-cases each unit and records what it was given. */
function shoutingTranslator(): { translate: UnitTranslator; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    translate: (units) => {
      calls.push(units);
      return Promise.resolve(units.map((unit) => unit.toUpperCase()));
    },
  };
}

describe('translateCues', function () {
  this.timeout(300_000);

  it('translates whole sentences across cues and emits as many cues as came in, times unchanged', async () => {
    const { translate, calls } = shoutingTranslator();
    const out = await lastValueFrom(from(CUES).pipe(translateCues(translate), toArray()));
    // "uno dos" and "tres cuatro." form one sentence; the sound cue is never sent; each dialogue turn is a unit.
    expect(calls).to.deep.equal([['uno dos tres cuatro.', 'cinco.', 'seis.']]);
    expect(out.map((c) => [c.start, c.end])).to.deep.equal(CUES.map((c) => [c.start, c.end]));
    expect(out[0].text).to.match(/^<i>UNO.*<\/i>$/);
    expect(out[2].text).to.equal('[puerta]');
    expect(out[3].text).to.equal('- CINCO.\n- SEIS.');
  });

  it('is cold: nothing is translated before subscription, and each subscription translates anew', async () => {
    const { translate, calls } = shoutingTranslator();
    const translated = from(CUES).pipe(translateCues(translate));
    expect(calls).to.have.length(0);
    await lastValueFrom(translated.pipe(toArray()));
    await lastValueFrom(translated.pipe(toArray()));
    expect(calls).to.have.length(2);
  });

  it('aborts the translation and emits nothing after an unsubscribe', async () => {
    let signal: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const translate: UnitTranslator = (units, given) => {
      signal = given;
      return new Promise((resolve) => (release = () => resolve(units)));
    };
    const source = new Subject<Cue>();
    const seen: Cue[] = [];
    const subscription = source.pipe(translateCues(translate)).subscribe((cue) => seen.push(cue));
    source.next(CUES[0]);
    source.complete();
    expect(signal?.aborted).to.equal(false);
    subscription.unsubscribe();
    expect(signal?.aborted).to.equal(true);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).to.deep.equal([]);
  });

  it('passes errors of the translator on', async () => {
    const failing: UnitTranslator = () => Promise.reject(new Error('model broke'));
    let caught: unknown;
    await lastValueFrom(of(CUES[0]).pipe(translateCues(failing))).catch((error: unknown) => (caught = error));
    expect((caught as Error).message).to.equal('model broke');
  });

  describe('with the bundled model (models/bible-es-en)', () => {
    let bundled: TranslationModel;
    before(async () => {
      bundled = await loadModel();
    });
    after(() => bundled?.dispose());

    it('gives one-word cues a translation, greedy and beam, without falling back to the source', async () => {
      const words = ['hola', 'sí', 'no', 'vale', 'ok', 'Adiós.', 'hola', 'Buenos días.'];
      // A few seconds apart, as in films: each cue is its own sentence …
      const apart: Cue[] = words.map((text, k) => ({ start: 1000 + 3000 * k, end: 2000 + 3000 * k, text }));
      // … or close enough to be read as one (`hola Adiós.`), whose translation may be one word.
      const close: Cue[] = words.map((text, k) => ({ start: 1000 + 1200 * k, end: 2000 + 1200 * k, text }));
      for (const [beam, cues] of [
        [1, apart],
        [5, apart],
        [1, close],
        [5, close],
      ] as const) {
        const warnings: string[] = [];
        const out = await lastValueFrom(
          from(cues).pipe(
            translateCues(bundled, { beam, onWarning: (w) => warnings.push(w.message) }),
            toArray(),
          ),
        );
        expect(out.map((c) => [c.start, c.end])).to.deep.equal(cues.map((c) => [c.start, c.end]));
        for (const cue of out) expect(cue.text, `beam ${beam}`).to.match(/[a-z]/i);
        expect(warnings, `beam ${beam}`).to.deep.equal([]);
      }
    });

    it('adds no quotation marks or brackets the dialogue fixture does not have, and leaves none unpaired', async () => {
      const { document } = await readSubtitleFile(join(FIXTURE_DIR, 'dialogue.srt'));
      const cues = [...document.cues, { start: 25_000, end: 27_000, text: '- ¿Vienes conmigo?\n- Sí.' }];
      const out = await lastValueFrom(from(cues).pipe(translateCues(bundled, { beam: 5 }), toArray()));
      expect(out).to.have.length(cues.length);
      const count = (text: string, marks: RegExp) => text.match(marks)?.length ?? 0;
      out.forEach((cue, k) => {
        const [source, text] = [stripTags(cues[k].text), stripTags(cue.text)];
        for (const [open, close] of [
          [/[“„«]/g, /[”»]/g],
          [/\(/g, /\)/g],
          [/\[/g, /\]/g],
        ]) {
          expect(count(text, open), `${source} → ${text}`).to.equal(count(text, close));
          if (count(source, open) + count(source, close) === 0) expect(count(text, open), text).to.equal(0);
        }
      });
      // The Bible model closes this question with ” (“Will you go with me?”” in the verse style).
      expect(out.at(-1)!.text).to.match(/^- Will you go with me\?\n- /);
    });
  });

  describe('with a trained model', () => {
    let model: TranslationModel;
    before(async () => {
      model = await loadModel(await tinyCheckpoint(), { backend: 'wasm' });
    });
    after(() => model?.dispose());

    it('decodes with the model and its search options, reporting progress per chunk', async () => {
      const cues: Cue[] = [
        { start: 0, end: 900, text: 'uno dos.' },
        { start: 1000, end: 1900, text: 'tres.' },
        { start: 2000, end: 2900, text: 'cuatro cinco.' },
      ];
      const greedy = await lastValueFrom(from(cues).pipe(translateCues(model, { beam: 1 }), toArray()));
      const beam = await lastValueFrom(from(cues).pipe(translateCues(model, { beam: 3 }), toArray()));
      expect(greedy.map((c) => [c.start, c.end])).to.deep.equal(cues.map((c) => [c.start, c.end]));
      expect(beam).to.have.length(3);
      for (const cue of [...greedy, ...beam]) expect(cue.text).to.match(/^[a-z .]+$/);

      const progress: Array<[number, number]> = [];
      const translateUnits = modelTranslator(model, {
        beam: 1,
        chunkSize: 2,
        onProgress: (done, total) => progress.push([done, total]),
      });
      const texts = await translateUnits(['uno.', 'dos.', 'tres.']);
      expect(texts).to.have.length(3);
      expect(progress).to.deep.equal([
        [2, 3],
        [3, 3],
      ]);
    });
  });

  describe('a cue of 500 lines, with the bundled model', () => {
    let model: TranslationModel;
    before(async () => {
      model = await loadModel(BUNDLED_MODEL);
    });
    after(() => model?.dispose());

    it('translates every sentence of it, none cut off at maxSourceLength', async () => {
      const { es, en } = await shortVerses(500, 12);
      const cues: Cue[] = [
        { start: 0, end: 1000, text: 'Hola.' },
        { start: 2000, end: 600_000, text: es.join('\n') },
        { start: 601_000, end: 602_000, text: 'Adiós.' },
      ];
      const units = prepareCues({ format: 'srt', cues }).units;
      const count = (text: string) => model.sourceTokenizer.encode(text).length;
      expect(count(units[1])).to.be.greaterThan(10 * TRANSLATE_DEFAULTS.maxSourceLength);

      // Every source row the model encodes, by its length (EOS included).
      const encoded: number[] = [];
      const encode = model.model.encode.bind(model.model);
      model.model.encode = (src, srcLen) => {
        encoded.push(...Array.from(srcLen));
        return encode(src, srcLen);
      };
      const warnings: string[] = [];
      const out = await lastValueFrom(
        from(cues).pipe(
          translateCues(model, { beam: 1, onWarning: (w) => warnings.push(w.message) }),
          toArray(),
        ),
      );
      expect(out.map((cue) => [cue.start, cue.end])).to.deep.equal(cues.map((cue) => [cue.start, cue.end]));
      // No source token was dropped: the rows hold every token of every unit, none over the limit,
      // and each of the 500 sentences of the long cue was decoded as a row of its own.
      expect(encoded.reduce((sum, length) => sum + length - 1, 0)).to.equal(
        units.reduce((sum, unit) => sum + count(unit), 0),
      );
      expect(Math.max(...encoded)).to.be.at.most(TRANSLATE_DEFAULTS.maxSourceLength + 1);
      expect(encoded.length).to.be.at.least(2 + es.length);
      expect(warnings.some((w) => /in \d+ parts/.test(w))).to.equal(true);

      const translated = out[1].text.split(/\s+/).length;
      const reference = en.join(' ').split(/\s+/).length;
      expect(translated / reference).to.be.within(0.7, 1.4);
      expect(longestLoop(out[1].text)).to.be.below(20);
    });
  });
});
