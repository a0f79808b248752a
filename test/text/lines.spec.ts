import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readLines, type NumberedLine } from '../../text/lines.js';
import { rejection } from '../helpers/rejection.js';
import { useTempDir } from '../helpers/tempDir.js';

async function collect(lines: AsyncIterable<NumberedLine>): Promise<string[]> {
  const texts: string[] = [];
  for await (const line of lines) texts.push(line.text);
  return texts;
}

describe('text/lines: readLines', () => {
  const dir = useTempDir();

  it('ends lines at LF only: CRLF loses its CR, a lone CR stays inside the line', async () => {
    const file = join(dir(), 'cr.txt');
    writeFileSync(file, '\ufeffuno\r\ndos\rtres\ncuatro');
    expect(await collect(readLines(file))).to.deep.equal(['uno', 'dos\rtres', 'cuatro']);
  });

  it('reads .gz files and streams such as stdin alike', async () => {
    const file = join(dir(), 'a.txt.gz');
    writeFileSync(file, gzipSync('a\r\nb\rc\n'));
    expect(await collect(readLines(file))).to.deep.equal(['a', 'b\rc']);
    const stream = Readable.from([Buffer.from('x\ny'), Buffer.from('z\r\n')]);
    expect(await collect(readLines(stream))).to.deep.equal(['x', 'yz']);
  });

  it('refuses invalid UTF-8 naming file and line, unless told to replace it with a warning', async () => {
    const file = join(dir(), 'bad.txt');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('bien\n'), Buffer.from([0x63, 0x61, 0xe9, 0x0a]), Buffer.from('ok\n')]),
    );
    const error = await rejection(collect(readLines(file)));
    expect(error.code).to.equal('INVALID_UTF8');
    expect(error.message).to.equal(`${file}:2: line is not valid UTF-8`);
    const warnings: string[] = [];
    const texts = await collect(
      readLines(file, { onInvalidUtf8: (warning) => warnings.push(`${warning.line}: ${warning.message}`) }),
    );
    expect(texts).to.deep.equal(['bien', 'ca\ufffd', 'ok']);
    expect(warnings).to.deep.equal(['2: not valid UTF-8; the bad bytes were replaced by U+FFFD']);
  });

  it('accepts any readable path: /dev/null, a FIFO (as process substitution gives)', async function () {
    expect(await collect(readLines('/dev/null'))).to.deep.equal([]);
    const fifo = join(dir(), 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    const writer = createWriteStream(fifo);
    writer.end('uno\ndos\n');
    expect(await collect(readLines(fifo))).to.deep.equal(['uno', 'dos']);
  });

  it('says a folder is a folder and a missing file is missing, before streaming', async () => {
    const folder = join(dir(), 'folder');
    mkdirSync(folder);
    const isFolder = await rejection(collect(readLines(folder)));
    expect(isFolder.code).to.equal('FILE_UNREADABLE');
    expect(isFolder.message).to.equal(`${folder} is a folder, not a file`);
    const missing = await rejection(collect(readLines(join(dir(), 'none.txt'))));
    expect(missing.code).to.equal('FILE_NOT_FOUND');
  });
});
