import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect } from 'chai';
import iconv from 'iconv-lite';
import { decodeSubtitleBytes } from '../../subtitles/encoding.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { makeVideoFixtures } from '../helpers/makeVideo.js';
import { rejection } from '../helpers/rejection.js';
import { useTempDir } from '../helpers/tempDir.js';
import { SPANISH_ASS } from '../helpers/makeVideo.js';

/** A real 1×1 PNG: signature, IHDR, IDAT, IEND (CRCs are not checked by the sniffing). */
function png(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('files that are not subtitles', () => {
  const dir = useTempDir('subflow-not-subtitles-');
  const write = (name: string, bytes: string | Buffer): string => {
    const path = join(dir(), name);
    writeFileSync(path, bytes);
    return path;
  };

  it('recognises binary files by their magic numbers before any codepage guess', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a PNG', png(), /PNG image/],
      ['a JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]), /JPEG image/],
      ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), /GIF image/],
      ['a ZIP', Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), /ZIP archive/],
      ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), /PDF document/],
      ['an MP4', Buffer.from('\x00\x00\x00\x20ftypisom\x00\x00\x02\x00', 'latin1'), /MP4/],
    ];
    for (const [name, bytes, what] of cases) {
      let caught: unknown;
      try {
        decodeSubtitleBytes(bytes, { file: 'x.srt' });
      } catch (error) {
        caught = error;
      }
      expect(caught, name).to.have.property('code', 'SUBTITLE_BINARY');
      expect((caught as Error).message, name).to.match(/^x\.srt is not a subtitle file: it is an? /);
      expect((caught as Error).message, name).to.match(what);
    }
  });

  it('recognises other binary data by its zero bytes, but still reads UTF-16 without a BOM', () => {
    const bytes = Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nhola\x00\x01\x02\n', 'latin1');
    expect(() => decodeSubtitleBytes(bytes, { file: 'x.srt' }))
      .to.throw(/x\.srt is not a subtitle file: it holds binary data \(a zero byte at offset 36\)/)
      .with.property('code', 'SUBTITLE_BINARY');
    const utf16 = iconv.encode('1\n00:00:01,000 --> 00:00:02,000\nhola\n', 'utf-16le');
    expect(decodeSubtitleBytes(utf16).text).to.contain('hola');
    // Zero padding at the end (an interrupted download, a fixed-size copy) is not binary data.
    const padded = Buffer.concat([Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nhola\n'), Buffer.alloc(64)]);
    expect(decodeSubtitleBytes(padded).text).to.contain('hola');
  });

  it('a real video renamed .srt is recognised as one', async () => {
    const { mkv, mp4 } = await makeVideoFixtures();
    for (const video of [mkv, mp4]) {
      const error = await rejection(readSubtitleFile(video, { format: 'srt' }));
      expect(error.code, video).to.equal('SUBTITLE_BINARY');
      expect(error.message).to.match(/Matroska|MP4/);
    }
  });

  for (const [name, bytes, why] of [
    ['empty.srt', '', /the file is empty/],
    ['bom.srt', '\uFEFF', /the file holds only a byte order mark/],
    ['blank.vtt', '\n \r\n\t\n', /the file holds only blank lines/],
    ['prose.srt', 'Hola.\nEsto no es un subtítulo.\n', /no timing line \(00:00:01,000 --> 00:00:02,000\)/],
    ['header.vtt', 'WEBVTT\n\nNOTE nada más\n', /no cue blocks/],
    [
      'unreadable.srt',
      '1\n00:00:01,000 --> later\nhola\n',
      /timing line of 1 cue\(s\) could not be read \(line 2: /,
    ],
    ['no-events.ass', SPANISH_ASS.slice(0, SPANISH_ASS.indexOf('[Events]')), /no \[Events\] section/],
    ['no-dialogue.ass', SPANISH_ASS.replace(/^Dialogue:.*\n/gm, ''), /no Dialogue lines/],
  ] as const) {
    it(`refuses ${name}: "no cues found" and why, also with --strict`, async () => {
      const path = write(name, bytes);
      for (const strict of [false, true]) {
        const error = await rejection(readSubtitleFile(path, { strict }));
        expect(error.code, `strict: ${strict}`).to.equal('SUBTITLE_NO_CUES');
        expect(error.message).to.match(new RegExp(`^no cues found in ${path}: `));
        expect(error.message).to.match(why);
        expect(error.message).to.not.match(/skipped/);
      }
    });
  }
});
