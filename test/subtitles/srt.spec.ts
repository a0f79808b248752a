import { expect } from 'chai';
import { SubflowError } from '../../errors.js';
import { parse, write } from '../../subtitles/srt.js';
import { parse as parseVtt } from '../../subtitles/vtt.js';
import { parseSrtTimestamp, formatAssTimestamp, formatSrtTimestamp } from '../../subtitles/timestamp.js';
import { fixtureBytes } from './fixtures.js';

describe('srt', () => {
  const malformed = fixtureBytes('malformed.srt').toString('utf8');

  it('refuses a malformed file in strict mode, naming file and line', () => {
    let caught: unknown;
    try {
      parse(malformed, { strict: true, file: 'malformed.srt' });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(SubflowError);
    const error = caught as SubflowError;
    expect(error.code).to.equal('SUBTITLE_PARSE');
    expect(error.file).to.equal('malformed.srt');
    expect(error.line).to.equal(4);
    expect(error.message).to.equal('malformed.srt:4: missing blank line before this cue');
  });

  for (const [name, text, line] of [
    ['a dot timestamp', '1\n00:00:01.000 --> 00:00:02,000\na\n', 2],
    ['end before start', '1\n00:00:03,000 --> 00:00:02,000\na\n', 2],
    ['an overlap', '1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n', 6],
    ['a wrong index', '3\n00:00:01,000 --> 00:00:02,000\na\n', 1],
  ] as const) {
    it(`strict mode refuses ${name}`, () => {
      expect(() => parse(text, { strict: true }))
        .to.throw(SubflowError)
        .with.property('line', line);
    });
  }

  it('accepts BOM, CRLF and a missing final newline without warnings, even when strict', () => {
    const result = parse('\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\nuno\r\ndos', { strict: true });
    expect(result.document.cues).to.deep.equal([{ start: 1000, end: 2500, text: 'uno\ndos' }]);
  });

  it('keeps numeric text lines that are not followed by a timing line', () => {
    const { document, warnings } = parse('1\n00:00:01,000 --> 00:00:02,000\n1984\n2\n');
    expect(document.cues[0].text).to.equal('1984\n2');
    expect(warnings).to.deep.equal([]);
  });

  it('renumbers cues and keeps the text after the timing line', () => {
    const doc = parse('5\n00:00:01,000 --> 00:00:02,000 X1:10 X2:20 Y1:5 Y2:9\nhi\n').document;
    expect(write(doc)).to.equal('1\n00:00:01,000 --> 00:00:02,000 X1:10 X2:20 Y1:5 Y2:9\nhi\n');
    expect(write({ format: 'srt', cues: [{ start: 0, end: 1, text: 'a\n\nb' }] })).to.equal(
      '1\n00:00:00,000 --> 00:00:00,001\na\nb\n',
    );
    // Leading or trailing blank lines would end the cue early or leak into the next one.
    expect(write({ format: 'srt', cues: [{ start: 0, end: 1, text: '\n \nhola\n\n' }] })).to.equal(
      '1\n00:00:00,000 --> 00:00:00,001\nhola\n',
    );
  });

  it('reads lenient timestamps and writes canonical ones', () => {
    expect(parseSrtTimestamp('01:02:03,456')).to.deep.equal({ ms: 3_723_456, canonical: true });
    expect(parseSrtTimestamp('02:03,5')).to.deep.equal({ ms: 123_500, canonical: false });
    expect(parseSrtTimestamp('1:02:03.05')).to.deep.equal({ ms: 3_723_050, canonical: false });
    expect(parseSrtTimestamp('00:61:00,000')).to.equal(undefined);
    expect(formatSrtTimestamp(3_723_456)).to.equal('01:02:03,456');
    expect(formatAssTimestamp(59_995)).to.equal('0:01:00.00');
  });

  describe('repairs a timing line that has one reading, naming the repair', () => {
    const strictError = (text: string, parser = parse): SubflowError => {
      try {
        parser(text, { strict: true, file: 'x' });
      } catch (error) {
        if (error instanceof SubflowError) return error;
        throw error;
      }
      throw new Error('strict parse accepted the file');
    };
    for (const [name, timing, start, repair] of [
      ['a one-dash arrow', '00:00:01,000 -> 00:00:02,000', 1000, /arrow "->", not "-->"; read as "-->"/],
      ['an arrow without spaces', '00:00:01,000-->00:00:02,000', 1000, /no space around "-->"; repaired/],
      [
        'a dot for the comma',
        '00:00:01.000 --> 00:00:02,000',
        1000,
        /"00:00:01.000" is not .*; read as 00:00:01,000/,
      ],
      [
        'a negative start',
        '-00:00:01,000 --> 00:00:02,000',
        0,
        /negative time "-00:00:01,000"; set to 00:00:00,000/,
      ],
    ] as const) {
      it(`${name}: the cue and its text are kept, one warning, and --strict refuses without "skipped"`, () => {
        const text = `1\n${timing}\nhola\n\n2\n00:00:03,000 --> 00:00:04,000\nadiós\n`;
        const { document, warnings } = parse(text);
        expect(document.cues).to.deep.equal([
          { start, end: 2000, text: 'hola' },
          { start: 3000, end: 4000, text: 'adiós' },
        ]);
        expect(warnings).to.have.length(1);
        expect(warnings[0].line).to.equal(2);
        expect(warnings[0].message).to.match(repair);
        const error = strictError(text);
        expect(error.line).to.equal(2);
        expect(error.message).to.not.match(/skipped|read as|set to/);
      });
    }

    it('says "cue skipped" only when it really skips one, never in strict mode', () => {
      const text = '1\n00:00:01,000 --> later\nhola\n';
      expect(parse(text).warnings[0].message).to.match(/unreadable timing line .*; cue skipped$/);
      expect(strictError(text).message).to.equal('x:2: unreadable timing line "00:00:01,000 --> later"');
    });

    it('leaves text that only contains an arrow alone', () => {
      const { document, warnings } = parse('1\n00:00:01,000 --> 00:00:02,000\na -> b\n');
      expect(document.cues[0].text).to.equal('a -> b');
      expect(warnings).to.deep.equal([]);
    });

    it('repairs WebVTT the same way: one-dash arrow, no spaces, comma, negative time', () => {
      const text =
        'WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nuno\n\n00:00:03.000-->00:00:04.000\ndos\n\n' +
        '00:00:05,000 --> 00:00:06.000\ntres\n\n-00:00:00.500 --> 00:00:07.000\ncuatro\n';
      const { document, warnings } = parseVtt(text);
      expect(document.cues.map((c) => [c.start, c.end, c.text])).to.deep.equal([
        [1000, 2000, 'uno'],
        [3000, 4000, 'dos'],
        [5000, 6000, 'tres'],
        [0, 7000, 'cuatro'],
      ]);
      expect(warnings.map((w) => w.line)).to.deep.equal([3, 6, 9, 12]);
      expect(warnings[0].message).to.match(/arrow "->", not "-->"; read as "-->"/);
      expect(warnings[1].message).to.match(/no space around "-->"/);
      expect(warnings[2].message).to.match(/read as 00:00:05\.000/);
      expect(warnings[3].message).to.match(/negative time/);
      expect(strictError(text, parseVtt).message).to.not.match(/skipped|read as|set to/);
    });
  });
});
