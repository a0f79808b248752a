import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/runCli.js';
import { makeVideoFixtures, SPANISH_SRT, type VideoFixtures } from '../helpers/makeVideo.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('subflow inspect', function () {
  this.timeout(120_000);
  const dir = useTempDir('subflow-inspect-');
  let fixtures: VideoFixtures;

  before(async () => {
    fixtures = await makeVideoFixtures();
  });

  it('prints the stream table of a video', async () => {
    const result = await runCli(['inspect', fixtures.mkv]);
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).to.match(/spanish\.mkv: matroska,webm, 0:05, 5 streams, 2 chapters/);
    expect(lines[1]).to.match(/^\s+#\s+type\s+codec\s+details\s+lang\s+flags\s+title$/);
    expect(result.stdout).to.match(/2\s+subtitle\s+subrip\s+text\s+spa\s+default/);
    expect(result.stdout).to.match(/3\s+subtitle\s+ass\s+text\s+spa\s+-\s+Spanish \(ASS\)/);
  });

  it('marks bitmap tracks as needing OCR', async () => {
    const result = await runCli(['inspect', fixtures.bitmapMkv]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/hdmv_pgs_subtitle\s+bitmap \(needs OCR\)\s+eng/);
  });

  it('describes a subtitle file: format, encoding, cues, duration and warnings with line numbers', async () => {
    const clean = join(dir(), 'clean.srt');
    writeFileSync(clean, `\uFEFF${SPANISH_SRT}`);
    const ok = await runCli(['inspect', clean]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout.trim()).to.equal(
      `${clean}: srt, utf-8 with BOM, 3 cues, duration 00:00:03, 00:00:00,500 → 00:00:04,456, 0 warning(s)`,
    );

    const broken = join(dir(), 'broken.srt');
    writeFileSync(broken, '1\n00:00:01,000 --> 00:00:02,000\nuno\n2\n00:00:03,000 --> 00:00:04,000\ndos\n');
    const warned = await runCli(['inspect', broken]);
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stdout).to.match(/broken\.srt: srt, utf-8, \d cues/);
    expect(warned.stdout).to.match(/\n {2}warning: line \d+: /);
    const strict = await runCli(['inspect', '--strict', broken]);
    expect(strict.code).to.equal(1);
    expect(strict.stderr).to.match(/broken\.srt/);
  });

  it('reports an unreadable file among several and still lists the others', async () => {
    const result = await runCli(['inspect', fixtures.truncatedMp4, fixtures.noSubtitlesMp4]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/truncated\.mp4/);
    expect(result.stdout).to.match(/silent\.mp4: mov,mp4/);
  });
});
