import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { from, lastValueFrom, NEVER, concat, Subject } from 'rxjs';
import { reflow } from '../../operators/reflow.js';
import { writeSubtitles } from '../../operators/writeSubtitles.js';
import { SubflowError } from '../../errors.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { FIXTURE_DIR } from '../subtitles/fixtures.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('writeSubtitles operator', () => {
  const dir = useTempDir();

  it('writes the cues on complete, keeping the template header, and emits the path', async () => {
    const { document } = await readSubtitleFile(join(FIXTURE_DIR, 'styled.ass'));
    const { cues, ...template } = document;
    const path = join(dir(), 'out.ass');
    const written = await lastValueFrom(from(cues).pipe(reflow(), writeSubtitles({ path, template })));
    expect(written).to.equal(path);
    expect(readFileSync(path, 'utf8')).to.equal(readFileSync(join(FIXTURE_DIR, 'styled.ass'), 'utf8'));
    const srt = await lastValueFrom(
      from(cues).pipe(writeSubtitles({ path: join(dir(), 'out.srt'), template })),
    );
    expect(readFileSync(srt, 'utf8')).to.contain('<i>Hace mucho tiempo,</i>');
  });

  it('writes nothing until complete, and nothing at all when unsubscribed', () => {
    const path = join(dir(), 'never.srt');
    const sub = concat(from([{ start: 0, end: 1, text: 'a' }]), NEVER)
      .pipe(writeSubtitles({ path }))
      .subscribe();
    sub.unsubscribe();
    expect(existsSync(path)).to.equal(false);
    expect(readdirSync(dir()).filter((name) => name.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('refuses an output equal to an input', async () => {
    const input = join(dir(), 'in.srt');
    copyFileSync(join(FIXTURE_DIR, 'dialogue.srt'), input);
    const cues = new Subject<{ start: number; end: number; text: string }>();
    const result = lastValueFrom(cues.pipe(writeSubtitles({ path: input, inputs: [input] })));
    cues.complete();
    let caught: unknown;
    await result.catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(SubflowError).with.property('code', 'OUTPUT_IS_INPUT');
    expect(readFileSync(input)).to.deep.equal(readFileSync(join(FIXTURE_DIR, 'dialogue.srt')));
  });
});
