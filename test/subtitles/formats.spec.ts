import { expect } from 'chai';
import { isSubflowError } from '../../errors.js';
import { parseAssHeader } from '../../subtitles/ass.js';
import { decodeSubtitleBytes } from '../../subtitles/encoding.js';
import { convertDocument, detectFormat, parseSubtitles, writeSubtitles } from '../../subtitles/formats.js';
import { FIXTURES, fixtureBytes, golden } from './fixtures.js';

function load(name: string) {
  const { text } = decodeSubtitleBytes(fixtureBytes(name));
  return { text, parsed: parseSubtitles(text, detectFormat(name, text)) };
}

describe('subtitle formats', () => {
  for (const name of FIXTURES) {
    it(`${name} parses to its golden JSON`, () => {
      const expected = golden(name);
      const { parsed } = load(name);
      expect(parsed.document.format).to.equal(expected.format);
      expect(parsed.document.cues).to.deep.equal(expected.cues);
      expect(parsed.document.header).to.equal(expected.header);
      expect(parsed.document.trailer).to.equal(expected.trailer);
      expect(parsed.warnings).to.deep.equal(expected.warnings);
    });

    it(`${name} round-trips: parse → write → parse gives the same document`, () => {
      const { parsed } = load(name);
      const again = parseSubtitles(writeSubtitles(parsed.document), parsed.document.format);
      expect(again.document).to.deep.equal(parsed.document);
      // Only problems with the times themselves survive a rewrite; layout problems are fixed by it.
      const timing = /ends before it starts|before the previous cue ends/;
      expect(again.warnings.filter((w) => !timing.test(w.message))).to.deep.equal([]);
    });
  }

  for (const name of ['dialogue.srt', 'captions.vtt', 'styled.ass']) {
    it(`${name}: writing a well-formed file gives back its exact text`, () => {
      const { text, parsed } = load(name);
      expect(writeSubtitles(parsed.document)).to.equal(text);
    });
  }

  it('keeps ASS script info, styles and every event field', () => {
    const { parsed } = load('styled.ass');
    const header = parseAssHeader(parsed.document.header ?? '');
    expect(header.scriptInfo).to.include({ Title: 'Prueba', PlayResX: '1920', WrapStyle: '0' });
    expect(header.styles.map((s) => [s.Name, s.Italic])).to.deep.equal([
      ['Default', '0'],
      ['Thoughts', '-1'],
    ]);
    const scroll = parsed.document.cues[2];
    expect(scroll.extra).to.include({
      Layer: '1',
      MarginL: '10',
      MarginR: '15',
      MarginV: '80',
      Effect: 'Scroll up;50;100',
    });
    expect(parsed.document.cues[1].extra?.before).to.match(/^Comment: /);
    expect(parsed.document.trailer).to.contain('[Aegisub Extradata]');
  });

  it('detects formats by content, then by extension', () => {
    expect(detectFormat('x.txt', 'WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n')).to.equal('vtt');
    expect(detectFormat('x.txt', '[Script Info]\nTitle: a\n')).to.equal('ass');
    expect(detectFormat('x.txt', '1\n00:00:01,000 --> 00:00:02,000\nhi\n')).to.equal('srt');
    expect(detectFormat('x.SSA', '')).to.equal('ass');
    expect(() => detectFormat('notes.txt', 'hello'))
      .to.throw()
      .that.satisfies((e: unknown) => isSubflowError(e, 'SUBTITLE_PARSE'));
  });

  it('converts ASS to SRT keeping italics, bold, colour and \\an, dropping drawings', () => {
    const srt = convertDocument(load('styled.ass').parsed.document, 'srt');
    expect(srt.cues.map((c) => c.text)).to.deep.equal([
      '<i>Hace mucho tiempo,</i>\nen una ciudad lejana,',
      '<i>vivía un hombre que no sabía leer.</i>', // the Thoughts style is italic
      '{\\an8}<font color="#ffff00">[puerta se cierra]</font>',
      '- ¿Quién anda ahí?\n- Soy yo, <b>abre</b>.',
      'Texto, con comas, en el campo\u00A0final',
      '',
    ]);
    expect(srt.cues.map((c) => [c.start, c.end])).to.deep.equal(
      load('styled.ass').parsed.document.cues.map((c) => [c.start, c.end]),
    );
  });

  it('converts SRT and WebVTT to ASS with overrides, voices and entities', () => {
    const fromSrt = convertDocument(load('dialogue.srt').parsed.document, 'ass');
    expect(fromSrt.cues[0].text).to.equal('{\\i1}Hace mucho tiempo,\nen una ciudad lejana,{\\i0}');
    expect(fromSrt.cues[8].text).to.equal('- Hola. - {\\c&H00FFFF&}Adiós.{\\c}');
    const fromVtt = convertDocument(load('captions.vtt').parsed.document, 'ass');
    expect(fromVtt.cues[0]).to.deep.include({ text: 'Hola, & bienvenidos.', extra: { Name: 'Ana' } });
    expect(fromVtt.cues[2].text).to.equal('¡Fuego! <grita>');
    const written = writeSubtitles(fromVtt);
    expect(written).to.contain('Dialogue: 0,0:00:01.00,0:00:03.00,Default,Ana,0,0,0,,Hola, & bienvenidos.');
    expect(parseSubtitles(written, 'ass').document.cues).to.have.length(4);
  });

  it('converts SRT to WebVTT escaping & and dropping <font>', () => {
    const doc = parseSubtitles(
      '1\n00:00:01,000 --> 00:00:02,000\n<font color="red">Tom & Jerry</font>\n',
      'srt',
    ).document;
    expect(writeSubtitles(doc, { format: 'vtt' })).to.equal(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nTom &amp; Jerry\n',
    );
  });
});
