import { expect } from 'chai';
import { SubflowError } from '../../errors.js';
import { parse, write } from '../../subtitles/srt.js';
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
});
