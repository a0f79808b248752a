import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSubflowError } from '../../errors.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { writeSubtitleFile } from '../../subtitles/writeSubtitleFile.js';
import { useTempDir } from '../helpers/tempDir.js';
import { FIXTURE_DIR } from './fixtures.js';
import { rejection } from '../helpers/rejection.js';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('readSubtitleFile / writeSubtitleFile', () => {
  const dir = useTempDir();

  it('reads a cp1252 file with decode and parse warnings, leaving its bytes unchanged', async () => {
    const input = join(dir(), 'cp1252.srt');
    copyFileSync(join(FIXTURE_DIR, 'cp1252.srt'), input);
    const before = sha256(input);
    const file = await readSubtitleFile(input);
    expect(file).to.deep.include({ encoding: 'windows-1252', hadBom: false });
    expect(file.document.cues[0].text).to.equal('¿Qué pasó? Señor Muñoz – mañana €100.');
    expect(file.warnings.map((w) => w.file)).to.deep.equal([input]);
    const out = await writeSubtitleFile(join(dir(), 'out.srt'), file.document, {
      inputs: [input],
      bom: true,
    });
    expect(sha256(input)).to.equal(before);
    expect(readFileSync(out).subarray(0, 3)).to.deep.equal(Buffer.from([0xef, 0xbb, 0xbf]));
    expect((await readSubtitleFile(out)).document.cues).to.deep.equal(file.document.cues);
  });

  it('refuses to overwrite an input, also through a symlink', async () => {
    const input = join(dir(), 'in.srt');
    copyFileSync(join(FIXTURE_DIR, 'dialogue.srt'), input);
    const link = join(dir(), 'link.srt');
    symlinkSync(input, link);
    const { document } = await readSubtitleFile(input);
    const before = sha256(input);
    for (const path of [input, link, join(dir(), '.', 'in.srt')]) {
      expect((await rejection(writeSubtitleFile(path, document, { inputs: [input] }))).code).to.equal(
        'OUTPUT_IS_INPUT',
      );
    }
    expect(sha256(input)).to.equal(before);
  });

  it('reports an unwritable folder and leaves no temp file behind', async () => {
    const notAFolder = join(dir(), 'file');
    writeFileSync(notAFolder, 'x');
    const error = await rejection(
      writeSubtitleFile(join(notAFolder, 'out.srt'), { format: 'srt', cues: [] }),
    );
    expect(error.code).to.equal('OUTPUT_NOT_WRITABLE');
    expect(error.file).to.equal(join(notAFolder, 'out.srt'));
    if (process.getuid?.() !== 0) {
      // Permissions do not stop root, so this half only runs as a normal user.
      const readOnly = join(dir(), 'ro');
      await writeSubtitleFile(join(readOnly, 'first.srt'), { format: 'srt', cues: [] });
      chmodSync(readOnly, 0o555);
      expect(
        (await rejection(writeSubtitleFile(join(readOnly, 'x.srt'), { format: 'srt', cues: [] }))).code,
      ).to.equal('OUTPUT_NOT_WRITABLE');
      chmodSync(readOnly, 0o755);
    }
  });

  it('writes in the format of the extension, converting, and leaves nothing when aborted', async () => {
    const { document } = await readSubtitleFile(join(FIXTURE_DIR, 'styled.ass'));
    const out = await writeSubtitleFile(join(dir(), 'nested', 'styled.srt'), document);
    expect(readFileSync(out, 'utf8')).to.match(
      /^1\n00:00:01,000 --> 00:00:03,500\n<i>Hace mucho tiempo,<\/i>\n/,
    );
    const controller = new AbortController();
    controller.abort();
    const stopped = writeSubtitleFile(join(dir(), 'stopped.srt'), document, { signal: controller.signal });
    expect((await rejection(stopped)).code).to.equal('INTERRUPTED');
    expect(
      readdirSync(dir()).filter((name) => name.includes('stopped') || name.endsWith('.tmp')),
    ).to.deep.equal([]);
  });

  it('names missing and unreadable files', async () => {
    const missing = await rejection(readSubtitleFile(join(dir(), 'nope.srt')));
    expect(isSubflowError(missing, 'FILE_NOT_FOUND')).to.equal(true);
    const folder = await rejection(readSubtitleFile(dir()));
    expect(folder.code).to.equal('FILE_UNREADABLE');
    const strict = await rejection(readSubtitleFile(join(FIXTURE_DIR, 'malformed.srt'), { strict: true }));
    expect(strict).to.deep.include({ code: 'SUBTITLE_PARSE', line: 4 });
  });
});
