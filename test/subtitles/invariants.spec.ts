import { expect } from 'chai';
import { SeededRandom } from '../../random.js';
import type { Cue, SubtitleDocument, SubtitleFormat } from '../../subtitles/cue.js';
import { parseSubtitles, writeSubtitles } from '../../subtitles/formats.js';
import { stripTags, visibleLength } from '../../subtitles/tags.js';
import { translateDocument } from '../../subtitles/translateDocument.js';
import { isNonSpeech } from '../../subtitles/utterances.js';

const WORDS = [
  'hola',
  'mundo',
  'que',
  'no',
  'sabía',
  'leer',
  'ciudad',
  'lejana',
  'extraordinariamente',
  'sí',
  'él',
];
const ENDINGS = ['', '', '.', ',', '?', '!', '...'];
const WRAPS: Array<[string, string]> = [
  ['', ''],
  ['<i>', '</i>'],
  ['<b>', '</b>'],
  ['{\\an8}', ''],
  ['<font color="#00ff00">', '</font>'],
];
const SPECIAL = ['[puerta se cierra]', '♪ la la la ♪', '(risas)', '♪ ♪'];

function randomText(random: SeededRandom): string {
  if (random.next() < 0.1) return SPECIAL[random.int(SPECIAL.length)];
  const line = (): string => {
    const words = Array.from({ length: 1 + random.int(9) }, () => WORDS[random.int(WORDS.length)]);
    const [open, close] = WRAPS[random.int(WRAPS.length)];
    const at = random.int(words.length);
    words[at] = `${open}${words[at]}${close}`;
    return words.join(' ') + ENDINGS[random.int(ENDINGS.length)];
  };
  if (random.next() < 0.2) return `- ${line()}\n- ${line()}`;
  return random.next() < 0.3 ? `${line()}\n${line()}` : line();
}

function randomDocument(random: SeededRandom, format: SubtitleFormat): SubtitleDocument {
  let time = 0;
  const cues: Cue[] = Array.from({ length: 1 + random.int(12) }, () => {
    time += random.int(3000);
    const start = time;
    time += 500 + random.int(3000);
    return { start, end: time, text: randomText(random) };
  });
  // Through the writer and parser so the cues look like read ones (ASS fields, VTT header).
  return parseSubtitles(writeSubtitles({ format: 'srt', cues }, { format }), format).document;
}

const TRANSLATORS: Array<(unit: string) => string> = [
  (unit) => unit,
  (unit) => unit.toUpperCase(),
  (unit) => unit.split(' ').reverse().join(' '),
  (unit) => `${unit} ${unit} ${unit}`,
  (unit) => unit.split(' ')[0],
];

describe('translateDocument invariants on random documents', () => {
  it('N cues in and out, times and non-speech unchanged, lines within limits or warned', async () => {
    const random = new SeededRandom(7);
    for (let round = 0; round < 150; round++) {
      const format = (['srt', 'vtt', 'ass'] as const)[round % 3];
      const doc = randomDocument(random, format);
      const translate = TRANSLATORS[round % TRANSLATORS.length];
      const warned = new Set<number>();
      const out = await translateDocument(doc, async (units) => units.map(translate), {
        onWarning: (w) => warned.add(Number(/^cue (\d+)/.exec(w.message)?.[1]) - 1),
      });
      const context = `round ${round} (${format})`;
      expect(out.cues, context).to.have.length(doc.cues.length);
      out.cues.forEach((cue, k) => {
        const source = doc.cues[k];
        expect([cue.start, cue.end], context).to.deep.equal([source.start, source.end]);
        if (isNonSpeech(source.text)) expect(cue.text, context).to.equal(source.text);
        else if (!warned.has(k)) {
          const lines = cue.text.split('\n');
          expect(lines.length, context).to.be.at.most(2);
          for (const line of lines) expect(visibleLength(line), `${context}: ${line}`).to.be.at.most(42);
        }
        if (round % TRANSLATORS.length === 0) {
          // Identity translation: the same words, dashes included, in the same cue.
          expect(stripTags(cue.text), context).to.equal(stripTags(source.text));
        }
      });
      expect(parseSubtitles(writeSubtitles(out), format).document.cues, context).to.deep.equal(out.cues);
    }
  });
});
