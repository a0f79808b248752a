import { expect } from 'chai';
import { SubflowError } from '../../errors.js';
import type { SubtitleDocument } from '../../subtitles/cue.js';
import { decodeSubtitleBytes } from '../../subtitles/encoding.js';
import { detectFormat, parseSubtitles, writeSubtitles } from '../../subtitles/formats.js';
import { stripTags, visibleLength } from '../../subtitles/tags.js';
import { prepareCues, translateDocument } from '../../subtitles/translateDocument.js';
import { isNonSpeech } from '../../subtitles/utterances.js';
import { FIXTURES, fixtureBytes } from './fixtures.js';

function load(name: string): SubtitleDocument {
  const { text } = decodeSubtitleBytes(fixtureBytes(name));
  return parseSubtitles(text, detectFormat(name, text)).document;
}

/** Fake translators: each changes the words in a way the checks can see. */
const TRANSLATORS: Record<string, (unit: string) => string> = {
  uppercase: (unit) => unit.toUpperCase(),
  'word reversal': (unit) => unit.split(' ').reverse().join(' '),
  'twice as long': (unit) => `${unit} ${unit}`,
  'one word': () => 'Sí',
};

describe('translateDocument', () => {
  for (const name of FIXTURES) {
    for (const [how, translate] of Object.entries(TRANSLATORS)) {
      it(`${name}, ${how}: N cues in, N out, times, fields and non-speech cues unchanged`, async () => {
        const doc = load(name);
        const out = await translateDocument(doc, async (units) => units.map(translate), {
          onWarning: () => {},
        });
        expect(out.cues).to.have.length(doc.cues.length);
        out.cues.forEach((cue, k) => {
          const source = doc.cues[k];
          expect([cue.start, cue.end]).to.deep.equal([source.start, source.end]);
          expect(cue.extra).to.deep.equal(source.extra);
          if (isNonSpeech(source.text)) expect(cue.text).to.equal(source.text);
        });
        expect(out.header).to.equal(doc.header);
        expect(out.trailer).to.equal(doc.trailer);
        // The result writes and reads back as the same cues.
        expect(parseSubtitles(writeSubtitles(out), out.format).document.cues).to.deep.equal(out.cues);
      });
    }
  }

  it('never sends non-speech to the translator and keeps speaker dashes and tags', async () => {
    const doc = load('dialogue.srt');
    const prepared = prepareCues(doc);
    expect(prepared.units).to.deep.equal([
      'Hace mucho tiempo, en una ciudad lejana, vivía un hombre que no sabía leer.',
      '¿Quién anda ahí?',
      'Soy yo, abre.',
      '(risas) No puede ser que hayas vuelto.',
      'Hola.',
      'Adiós.',
    ]);
    const out = prepared.assemble(prepared.units.map((unit) => unit.toUpperCase()));
    expect(out.cues.map((cue) => cue.text)).to.deep.equal([
      '<i>HACE MUCHO TIEMPO, EN UNA CIUDAD LEJANA,</i>',
      'VIVÍA UN HOMBRE QUE NO SABÍA LEER.',
      '[puerta se cierra]',
      '- ¿QUIÉN ANDA AHÍ?\n- SOY YO, <b>ABRE</b>.',
      '♪ La cucaracha, la cucaracha ♪',
      '♪ ♪',
      '{\\an8}(RISAS) NO PUEDE SER...',
      '...QUE HAYAS VUELTO.',
      '- HOLA.\n<font color="#ffff00">- ADIÓS.</font>',
    ]);
  });

  it('keeps ASS override tags and WebVTT entities where they were', async () => {
    const ass = await translateDocument(load('styled.ass'), async (units) =>
      units.map((u) => u.toUpperCase()),
    );
    expect(ass.cues[3].text).to.equal('- ¿QUIÉN ANDA AHÍ?\n- SOY YO, {\\b1}ABRE{\\b0}.');
    expect(ass.cues[5].text).to.equal('{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}');
    const vtt = await translateDocument(load('captions.vtt'), async (units) => units);
    expect(vtt.cues[0].text).to.equal('<v Ana>Hola, &amp; bienvenidos.</v>');
  });

  it('reflows translations to the line limits, warning when they cannot fit', async () => {
    const warnings: string[] = [];
    const doc = load('dialogue.srt');
    const out = await translateDocument(doc, async (units) => units.map((u) => `${u} ${u} ${u}`), {
      maxLineLength: 42,
      maxLines: 2,
      onWarning: (w) => warnings.push(w.message),
    });
    out.cues.forEach((cue, k) => {
      if (isNonSpeech(doc.cues[k].text)) return;
      for (const line of cue.text.split('\n')) expect(visibleLength(line), line).to.be.at.most(42);
    });
    expect(warnings.some((w) => /^cue 4 at 00:00:08,200: needs 4 lines/.test(w))).to.equal(true);
    // Without merging, each cue is its own unit.
    expect(prepareCues(doc, { mergeSentences: false }).units).to.include(
      'vivía un hombre que no sabía leer.',
    );
  });

  it('gives back the source when the translator returns its input', async () => {
    const doc = load('dialogue.srt');
    const out = await translateDocument(doc, async (units) => units);
    out.cues.forEach((cue, k) => expect(stripTags(cue.text)).to.equal(stripTags(doc.cues[k].text)));
  });

  describe('no cue is left empty', () => {
    const cue = (start: number, text: string) => ({ start, end: start + 1000, text });
    /** One-word cues a few seconds apart, as in films; the bundled model used to give '' for `hola`. */
    const shortCues: SubtitleDocument = {
      format: 'srt',
      cues: [cue(1000, 'hola'), cue(4000, 'Adiós.'), cue(7000, '<i>hola</i>'), cue(10000, 'Buenos días.')],
    };

    for (const [how, empty] of [
      ['nothing', ''],
      ['only spaces', '  '],
      ['only a quotation mark', '”'],
      ['only punctuation', ' ,'],
    ]) {
      it(`keeps the source text, with a warning naming the cue, where the translator gives ${how}`, async () => {
        const warnings: string[] = [];
        const out = await translateDocument(
          shortCues,
          async (units) => units.map((unit) => (unit === 'hola' ? empty : `${unit.toUpperCase()}`)),
          { onWarning: (w) => warnings.push(w.message) },
        );
        expect(out.cues.map((c) => c.text)).to.deep.equal(['hola', 'ADIÓS.', '<i>hola</i>', 'BUENOS DÍAS.']);
        expect(out.cues.map((c) => [c.start, c.end])).to.deep.equal(
          shortCues.cues.map((c) => [c.start, c.end]),
        );
        expect(warnings).to.have.length(2);
        expect(warnings[0]).to.match(
          /^cue 1 at 00:00:01,000: no translation for "hola"; the source text was kept/,
        );
        expect(warnings[1]).to.match(/^cue 3 at 00:00:07,000: no translation for "hola"/);
      });
    }

    /** One sentence over three cues. */
    const sentence: SubtitleDocument = {
      format: 'srt',
      cues: [
        { start: 1000, end: 2000, text: 'Yo no sé' },
        { start: 2100, end: 3000, text: '<i>si vendrá</i>' },
        { start: 3100, end: 4000, text: 'mañana.' },
      ],
    };

    it('translates a sentence cue by cue when its translation has too few words for its cues', async () => {
      const asked: string[][] = [];
      const warnings: string[] = [];
      const out = await translateDocument(
        sentence,
        async (units) => {
          asked.push(units);
          return units.length === 1 ? ['Perhaps.'] : units.map((unit) => unit.toUpperCase());
        },
        { onWarning: (w) => warnings.push(w.message) },
      );
      expect(asked).to.deep.equal([['Yo no sé si vendrá mañana.'], ['Yo no sé', 'si vendrá', 'mañana.']]);
      expect(out.cues.map((c) => c.text)).to.deep.equal(['YO NO SÉ', '<i>SI VENDRÁ</i>', 'MAÑANA.']);
      expect(warnings).to.deep.equal([]);
    });

    it('without that second pass, keeps the source text of the cues left without words, with warnings', () => {
      const warnings: string[] = [];
      const prepared = prepareCues(sentence, { onWarning: (w) => warnings.push(w.message) });
      expect(prepared.resplit(['Perhaps.'])).to.deep.equal(['Yo no sé', 'si vendrá', 'mañana.']);
      expect(prepared.resplit(['I do not know if he will come tomorrow.'])).to.deep.equal([]);
      const out = prepared.assemble(['Perhaps.']);
      expect(out.cues.map((c) => c.text)).to.deep.equal(['Yo no sé', '<i>Perhaps.</i>', 'mañana.']);
      expect(warnings).to.deep.equal([
        'cue 1 at 00:00:01,000: the translation of "Yo no sé si vendrá mañana." ("Perhaps.") has too few words for its 3 cues; the source text was kept',
        'cue 3 at 00:00:03,100: the translation of "Yo no sé si vendrá mañana." ("Perhaps.") has too few words for its 3 cues; the source text was kept',
      ]);
      expect(() => prepared.assemble(['Perhaps.'], ['one'])).to.throw(
        SubflowError,
        'got 1 translations for 3 re-split units',
      );
    });

    it('leaves a cue that was empty in the source empty, without asking the translator', async () => {
      const doc: SubtitleDocument = { format: 'srt', cues: [cue(1000, ''), cue(3000, 'hola')] };
      const asked: string[][] = [];
      const out = await translateDocument(doc, async (units) => {
        asked.push(units);
        return units.map(() => 'Hello.');
      });
      expect(asked).to.deep.equal([['hola']]);
      expect(out.cues.map((c) => c.text)).to.deep.equal(['', 'Hello.']);
    });
  });

  it('drops quotation marks and brackets the source unit does not have', async () => {
    const doc = load('dialogue.srt');
    const out = await translateDocument(doc, async (units) =>
      units.map((unit) => `“${unit.toUpperCase()}”)`),
    );
    expect(out.cues.map((c) => c.text)).to.deep.equal([
      '<i>HACE MUCHO TIEMPO, EN UNA CIUDAD LEJANA,</i>',
      'VIVÍA UN HOMBRE QUE NO SABÍA LEER.',
      '[puerta se cierra]',
      '- ¿QUIÉN ANDA AHÍ?\n- SOY YO, <b>ABRE</b>.',
      '♪ La cucaracha, la cucaracha ♪',
      '♪ ♪',
      '{\\an8}(RISAS) NO PUEDE SER...',
      '...QUE HAYAS VUELTO.',
      '- HOLA.\n<font color="#ffff00">- ADIÓS.</font>',
    ]);
  });

  it('refuses a wrong number of translations', () => {
    const prepared = prepareCues(load('dialogue.srt'));
    expect(() => prepared.assemble(['only one'])).to.throw(SubflowError, 'got 1 translations for 6 units');
  });
});
