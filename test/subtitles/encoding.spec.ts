import { expect } from 'chai';
import iconv from 'iconv-lite';
import { SubflowError } from '../../errors.js';
import { decodeSubtitleBytes, encodeSubtitleText } from '../../subtitles/encoding.js';
import { fixtureBytes, golden } from './fixtures.js';

describe('subtitle encodings', () => {
  it('decodes the cp1252 fixture, with a warning that names the guess', () => {
    const decoded = decodeSubtitleBytes(fixtureBytes('cp1252.srt'), { file: 'cp1252.srt' });
    expect(decoded.encoding).to.equal(golden('cp1252.srt').encoding);
    expect(decoded.text).to.contain('¿Qué pasó? Señor Muñoz – mañana €100.');
    expect(decoded.warnings).to.have.length(1);
    expect(decoded.warnings[0].message).to.match(/^not UTF-8; decoded as windows-1252 .*--encoding/);
  });

  it('sniffs BOMs: UTF-8, UTF-16LE, UTF-16BE', () => {
    expect(decodeSubtitleBytes(fixtureBytes('bom-crlf.srt'))).to.deep.include({
      encoding: 'utf-8',
      hadBom: true,
    });
    for (const encoding of ['utf-16le', 'utf-16be']) {
      const decoded = decodeSubtitleBytes(iconv.encode('\uFEFFañejo ♪', encoding));
      expect(decoded).to.deep.equal({ text: 'añejo ♪', encoding, hadBom: true, warnings: [] });
    }
  });

  it('spots UTF-16 without a BOM by its zero bytes', () => {
    for (const encoding of ['utf-16le', 'utf-16be']) {
      const decoded = decodeSubtitleBytes(
        iconv.encode('1\n00:00:01,000 --> 00:00:02,000\nAñejo\n', encoding),
      );
      expect(decoded).to.deep.include({ encoding, hadBom: false });
      expect(decoded.text).to.contain('Añejo');
    }
  });

  it('prefers valid UTF-8 over detection', () => {
    expect(decodeSubtitleBytes(Buffer.from('año ♪', 'utf8'))).to.deep.equal({
      text: 'año ♪',
      encoding: 'utf-8',
      hadBom: false,
      warnings: [],
    });
  });

  for (const [encoding, text, expected] of [
    ['windows-1250', 'Příliš žluťoučký kůň úpěl ďábelské ódy. Zażółć gęślą jaźń.', 'windows-1250'],
    ['gbk', '我们今天去公园散步，天气非常好。你想一起来吗？', 'gb18030'],
    ['big5', '我們今天去公園散步，天氣非常好。你想一起來嗎？', 'big5'],
    ['shift_jis', '今日は公園を散歩しました。天気がとても良かったです。', 'shift_jis'],
  ] as const) {
    it(`detects ${encoding}`, () => {
      const decoded = decodeSubtitleBytes(
        iconv.encode(`1\n00:00:01,000 --> 00:00:02,000\n${text}\n`, encoding),
      );
      expect(decoded.encoding).to.equal(expected);
      expect(decoded.text).to.contain(text);
    });
  }

  it('uses a forced encoding and rejects unknown names', () => {
    const bytes = fixtureBytes('cp1252.srt');
    expect(decodeSubtitleBytes(bytes, { encoding: 'latin1' }).warnings).to.deep.equal([]);
    expect(() => decodeSubtitleBytes(bytes, { encoding: 'klingon' }))
      .to.throw(SubflowError, 'unknown encoding "klingon"')
      .with.property('code', 'BAD_ARGUMENT');
  });

  it('encodes UTF-8 with an optional BOM, never two', () => {
    expect([...encodeSubtitleText('ñ')]).to.deep.equal([0xc3, 0xb1]);
    expect([...encodeSubtitleText('\uFEFFñ', { bom: true })]).to.deep.equal([0xef, 0xbb, 0xbf, 0xc3, 0xb1]);
  });
});
