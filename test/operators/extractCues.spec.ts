import { expect } from 'chai';
import { firstValueFrom, from, of, toArray } from 'rxjs';
import { isSubflowError } from '../../errors.js';
import { extractCues } from '../../operators/extractCues.js';
import { parseSubtitles } from '../../subtitles/formats.js';
import { setMediaToolPaths } from '../../subtitles/media.js';
import {
  isRunning,
  makeStallingTool,
  makeVideoFixtures,
  SPANISH_SRT,
  waitForExit,
  type VideoFixtures,
} from '../helpers/makeVideo.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('operators/extractCues', function () {
  this.timeout(60_000);
  let fixtures: VideoFixtures;
  const tempDir = useTempDir('subflow-extract-cues-');
  const spanish = parseSubtitles(SPANISH_SRT, 'srt').document.cues;

  before(async () => {
    fixtures = await makeVideoFixtures();
  });
  afterEach(() => setMediaToolPaths());

  it('emits the cues of each file, file after file', async () => {
    const cues = await firstValueFrom(
      from([fixtures.mp4, fixtures.mp4]).pipe(extractCues({ language: 'es' }), toArray()),
    );
    const expected = spanish.map(({ start, end, text }) => ({ start, end, text }));
    expect(cues.map(({ start, end, text }) => ({ start, end, text }))).to.deep.equal([
      ...expected,
      ...expected,
    ]);
  });

  it('passes extraction errors on as SubflowErrors', async () => {
    const error = await firstValueFrom(of(fixtures.bitmapMkv).pipe(extractCues())).catch((e: unknown) => e);
    expect(isSubflowError(error, 'SUBTITLE_BITMAP')).to.equal(true);
  });

  it('starts nothing before subscription', async () => {
    const ffprobe = await makeStallingTool(tempDir(), 'ffprobe');
    setMediaToolPaths({ ffprobe: ffprobe.path });
    const cues$ = of(fixtures.mp4).pipe(extractCues());
    const early = await Promise.race([
      ffprobe.started(),
      new Promise((done) => setTimeout(done, 300, 'idle')),
    ]);
    expect(early).to.equal('idle');
    const subscription = cues$.subscribe({ error: () => undefined });
    const pid = await ffprobe.started();
    subscription.unsubscribe();
    expect(await waitForExit(pid)).to.equal(true);
  });

  it('kills ffmpeg when unsubscribed mid-way', async () => {
    const ffmpeg = await makeStallingTool(tempDir(), 'ffmpeg');
    setMediaToolPaths({ ffmpeg: ffmpeg.path });
    const seen: unknown[] = [];
    const subscription = of(fixtures.mp4)
      .pipe(extractCues())
      .subscribe({ next: (cue) => seen.push(cue), error: (error) => seen.push(error) });
    const pid = await ffmpeg.started();
    expect(isRunning(pid)).to.equal(true);
    subscription.unsubscribe();
    expect(await waitForExit(pid)).to.equal(true);
    // The INTERRUPTED rejection that follows the kill goes nowhere: the subscriber is closed.
    await new Promise((done) => setTimeout(done, 50));
    expect(seen).to.deep.equal([]);
  });
});
