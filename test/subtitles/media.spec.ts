import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isSubflowError, type SubflowError } from '../../errors.js';
import type { Cue, SubtitleDocument } from '../../subtitles/cue.js';
import { parseSubtitles } from '../../subtitles/formats.js';
import {
  extractSubtitleStream,
  formatStreamTable,
  muxSubtitleTrack,
  probeMedia,
  setMediaToolPaths,
  type MediaProbe,
} from '../../subtitles/media.js';
import {
  makeStallingTool,
  makeVideoFixtures,
  SPANISH_ASS,
  SPANISH_SRT,
  SPANISH_VTT,
  waitForExit,
  type VideoFixtures,
} from '../helpers/makeVideo.js';
import { useTempDir } from '../helpers/tempDir.js';

const run = promisify(execFile);

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<SubflowError> {
  try {
    await promise;
  } catch (error) {
    if (isSubflowError(error)) return error;
    throw error;
  }
  throw new Error('expected a SubflowError, got none');
}

const times = (cues: readonly Cue[]): number[][] => cues.map((cue) => [cue.start, cue.end]);
const shifted = (cues: readonly Cue[], ms: number): number[][] =>
  cues.map((cue) => [cue.start + ms, cue.end + ms]);

/** Packet timestamps (ms) and sizes of every stream, by stream index, straight from ffprobe. */
async function packets(file: string): Promise<Map<number, Array<[number, number]>>> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'packet=stream_index,pts_time,size',
    '-of',
    'csv=p=0',
    file,
  ]);
  const byStream = new Map<number, Array<[number, number]>>();
  for (const line of stdout.trim().split('\n')) {
    const [stream, seconds, size] = line.split(',').map(Number);
    if (!byStream.has(stream)) byStream.set(stream, []);
    byStream.get(stream)!.push([Math.round(seconds * 1000), size]);
  }
  return byStream;
}

/** Where the lavfi video's first frame (t = 0 in the source subtitles) sits on the file's clock. */
function videoOffsetMs(probe: MediaProbe): number {
  const video = probe.streams.find((stream) => stream.type === 'video');
  return (video?.startMs ?? 0) - probe.startMs;
}

const source = {
  srt: parseSubtitles(SPANISH_SRT, 'srt').document,
  ass: parseSubtitles(SPANISH_ASS, 'ass').document,
  vtt: parseSubtitles(SPANISH_VTT, 'vtt').document,
};

describe('subtitles/media', function () {
  this.timeout(60_000);
  let fixtures: VideoFixtures;
  const inputHashes = new Map<string, string>();
  const tempDir = useTempDir('subflow-media-');

  // ffprobe/ffmpeg start-up dominates this file's run time: each fixture is probed once here and
  // the probe handed to the functions under test (`probe` option), which then skip their own.
  const probes = new Map<string, MediaProbe>();
  const probeOf = (file: string): MediaProbe => probes.get(file)!;

  before(async () => {
    fixtures = await makeVideoFixtures();
    const files = [
      fixtures.mkv,
      fixtures.mp4,
      fixtures.webm,
      fixtures.bitmapMkv,
      fixtures.noSubtitlesMp4,
      fixtures.cp1252Mkv,
    ];
    for (const file of files) {
      inputHashes.set(file, await sha256(file));
      probes.set(file, await probeMedia(file));
    }
  });

  after(async () => {
    // Inputs are never modified, whatever was done with them.
    for (const [file, hash] of inputHashes) expect(await sha256(file), file).to.equal(hash);
  });

  describe('probeMedia', () => {
    it('lists every stream of the MKV, with text subtitle details and chapters', async () => {
      const probe = probeOf(fixtures.mkv);
      expect(probe.format).to.equal('matroska,webm');
      expect(probe.durationMs).to.be.within(4900, 5200);
      expect(probe.chapterCount).to.equal(2);
      expect(probe.streams.map((s) => [s.index, s.type, s.codec])).to.deep.equal([
        [0, 'video', 'h264'],
        [1, 'audio', 'aac'],
        [2, 'subtitle', 'subrip'],
        [3, 'subtitle', 'ass'],
        [4, 'attachment', 'text/plain'],
      ]);
      expect(probe.subtitleStreams).to.deep.equal([
        { index: 2, codec: 'subrip', kind: 'text', language: 'spa', isDefault: true, isForced: false },
        {
          index: 3,
          codec: 'ass',
          kind: 'text',
          language: 'spa',
          title: 'Spanish (ASS)',
          isDefault: false,
          isForced: false,
        },
      ]);
    });

    it('reports mov_text in MP4, webvtt in WebM and PGS as bitmap', async () => {
      const [mp4, webm, bitmap, silent] = [
        fixtures.mp4,
        fixtures.webm,
        fixtures.bitmapMkv,
        fixtures.noSubtitlesMp4,
      ].map(probeOf);
      expect(mp4.format).to.include('mp4');
      expect(mp4.subtitleStreams).to.deep.equal([
        { index: 2, codec: 'mov_text', kind: 'text', language: 'spa', isDefault: true, isForced: false },
      ]);
      expect(webm.subtitleStreams.map((s) => [s.index, s.codec, s.kind, s.language])).to.deep.equal([
        [2, 'webvtt', 'text', 'spa'],
      ]);
      expect(bitmap.subtitleStreams.map((s) => [s.index, s.codec, s.kind, s.language])).to.deep.equal([
        [1, 'hdmv_pgs_subtitle', 'bitmap', 'eng'],
      ]);
      expect(silent.subtitleStreams).to.deep.equal([]);
      expect(silent.streams.map((s) => s.type)).to.deep.equal(['video', 'audio']);
    });

    it('formats the inspect table with one row per stream', async () => {
      const table = formatStreamTable(probeOf(fixtures.mkv)).split('\n');
      expect(table[0]).to.match(/spanish\.mkv: matroska,webm, 0:05, 5 streams, 2 chapters$/);
      expect(table[1]).to.match(/^\s+#\s+type\s+codec\s+details\s+lang\s+flags\s+title$/);
      expect(table[2]).to.match(/^\s+0\s+video\s+h264\s+160x120 10 fps\s+-\s+-$/);
      expect(table[4]).to.match(/^\s+2\s+subtitle\s+subrip\s+text\s+spa\s+default$/);
      expect(table[5]).to.match(/^\s+3\s+subtitle\s+ass\s+text\s+spa\s+-\s+Spanish \(ASS\)$/);
      const bitmap = formatStreamTable(probeOf(fixtures.bitmapMkv));
      expect(bitmap).to.match(/1\s+subtitle\s+hdmv_pgs_subtitle\s+bitmap \(needs OCR\)\s+eng/);
    });

    it('says MEDIA_INVALID with ffprobe’s last words for a truncated MP4', async () => {
      const error = await rejection(probeMedia(fixtures.truncatedMp4));
      expect(error.code).to.equal('MEDIA_INVALID');
      expect(error.message).to.include('truncated.mp4').and.include('moov atom not found');
    });

    it('says FILE_NOT_FOUND for a missing file', async () => {
      const error = await rejection(probeMedia(join(fixtures.dir, 'nope.mkv')));
      expect(error.code).to.equal('FILE_NOT_FOUND');
    });
  });

  describe('extractSubtitleStream', () => {
    it('gives the MP4 mov_text cues exactly as they were muxed', async () => {
      const doc = await extractSubtitleStream(fixtures.mp4, { probe: probeOf(fixtures.mp4) });
      expect(doc.format).to.equal('srt');
      expect(doc.cues.map((cue) => cue.text)).to.deep.equal(source.srt.cues.map((cue) => cue.text));
      expect(times(doc.cues)).to.deep.equal(times(source.srt.cues));
    });

    it('keeps MKV cues on the video frames they were written for (AAC priming moves the file by 23 ms)', async () => {
      const probe = probeOf(fixtures.mkv);
      // ffmpeg shifted the whole MKV so the primed AAC starts at 0: video and subtitles start 23 ms in.
      expect(videoOffsetMs(probe)).to.equal(23);
      const srt = await extractSubtitleStream(fixtures.mkv, { stream: 2, probe: probeOf(fixtures.mkv) });
      expect(srt.format).to.equal('srt');
      expect(srt.cues.map((cue) => cue.text)).to.deep.equal(source.srt.cues.map((cue) => cue.text));
      expect(times(srt.cues)).to.deep.equal(shifted(source.srt.cues, 23));
      const ass = await extractSubtitleStream(fixtures.mkv, { stream: 3, probe: probeOf(fixtures.mkv) });
      expect(ass.format).to.equal('ass');
      expect(ass.cues.map((cue) => cue.text)).to.deep.equal(source.ass.cues.map((cue) => cue.text));
      // The ASS muxer writes centiseconds and truncates: 3120 + 23 → 3140.
      const centis = (ms: number): number => Math.floor(ms / 10) * 10;
      expect(times(ass.cues)).to.deep.equal(
        source.ass.cues.map((cue) => [centis(cue.start + 23), centis(cue.end + 23)]),
      );
    });

    it('keeps WebM cues on their video frames (Opus pre-skip starts the file at -7 ms)', async () => {
      const probe = probeOf(fixtures.webm);
      expect(probe.startMs).to.equal(-7);
      const doc = await extractSubtitleStream(fixtures.webm, {
        language: 'es',
        probe: probeOf(fixtures.webm),
      });
      expect(doc.format).to.equal('vtt');
      expect(doc.cues.map((cue) => cue.text)).to.deep.equal(source.vtt.cues.map((cue) => cue.text));
      expect(times(doc.cues)).to.deep.equal(shifted(source.vtt.cues, videoOffsetMs(probe)));
    });

    it('picks the default text track, or the one in the asked language (ISO 639-1 or -2)', async () => {
      let chosen = -1;
      await extractSubtitleStream(fixtures.mkv, {
        onStream: (stream) => (chosen = stream.index),
        probe: probeOf(fixtures.mkv),
      });
      expect(chosen).to.equal(2);
      const bySpa = await extractSubtitleStream(fixtures.mp4, {
        language: 'spa',
        probe: probeOf(fixtures.mp4),
      });
      const byEs = await extractSubtitleStream(fixtures.mp4, {
        language: 'es',
        probe: probeOf(fixtures.mp4),
      });
      expect(byEs).to.deep.equal(bySpa);
    });

    it('says SUBTITLE_NO_STREAM when the file has no subtitles, naming its streams', async () => {
      const error = await rejection(
        extractSubtitleStream(fixtures.noSubtitlesMp4, { probe: probeOf(fixtures.noSubtitlesMp4) }),
      );
      expect(error.code).to.equal('SUBTITLE_NO_STREAM');
      expect(error.message).to.include('silent.mp4 has no subtitle stream').and.include('#1 audio (aac)');
    });

    it('says SUBTITLE_BITMAP for a PGS-only file', async () => {
      const error = await rejection(
        extractSubtitleStream(fixtures.bitmapMkv, { probe: probeOf(fixtures.bitmapMkv) }),
      );
      expect(error.code).to.equal('SUBTITLE_BITMAP');
      expect(error.message).to.match(
        /stream #1 \(hdmv_pgs_subtitle, eng\) .* is a bitmap subtitle and needs OCR/,
      );
      expect(error.hint).to.include('OCR');
    });

    it('says SUBTITLE_NO_STREAM for a stream index that does not exist or is not a subtitle', async () => {
      const missing = await rejection(
        extractSubtitleStream(fixtures.mkv, { stream: 9, probe: probeOf(fixtures.mkv) }),
      );
      expect(missing.code).to.equal('SUBTITLE_NO_STREAM');
      expect(missing.message).to.include('stream #9').and.include('does not exist');
      expect(missing.message).to.include('#2 (subrip, spa), #3 (ass, spa, "Spanish (ASS)")');
      const video = await rejection(
        extractSubtitleStream(fixtures.mkv, { stream: 0, probe: probeOf(fixtures.mkv) }),
      );
      expect(video.message).to.include('stream #0').and.include('is a video stream (h264)');
    });

    it('says SUBTITLE_NO_STREAM for a language the file does not have', async () => {
      const error = await rejection(
        extractSubtitleStream(fixtures.mkv, { language: 'fr', probe: probeOf(fixtures.mkv) }),
      );
      expect(error.code).to.equal('SUBTITLE_NO_STREAM');
      expect(error.message).to.include('"fr" (fre/fra)').and.include('#2 (subrip, spa)');
    });

    it('says MEDIA_INVALID with ffmpeg’s last words for a truncated MKV instead of returning fewer cues', async () => {
      const error = await rejection(extractSubtitleStream(fixtures.truncatedMkv, { stream: 2 }));
      expect(error.code).to.equal('MEDIA_INVALID');
      expect(error.message).to.include('truncated.mkv').and.include('File ended prematurely');
    });

    it('decodes a track that is not UTF-8, warning, or as told with `encoding`', async () => {
      const warnings: string[] = [];
      const guessed = await extractSubtitleStream(fixtures.cp1252Mkv, {
        onWarning: (warning) => warnings.push(warning.message),
      });
      expect(guessed.cues.map((cue) => cue.text)).to.deep.equal(['¿Qué tal, señor?']);
      expect(warnings.join('\n')).to.include('not UTF-8');
      warnings.length = 0;
      const told = await extractSubtitleStream(fixtures.cp1252Mkv, {
        encoding: 'cp1252',
        onWarning: (warning) => warnings.push(warning.message),
      });
      expect(told.cues.map((cue) => cue.text)).to.deep.equal(['¿Qué tal, señor?']);
      expect(warnings).to.deep.equal([]);
    });

    describe('without ffmpeg or ffprobe', () => {
      afterEach(() => setMediaToolPaths());

      it('says TOOL_MISSING naming scripts/setup.sh when ffprobe is missing', async () => {
        setMediaToolPaths({ ffprobe: join(fixtures.dir, 'no-such-ffprobe') });
        const error = await rejection(extractSubtitleStream(fixtures.mp4));
        expect(error.code).to.equal('TOOL_MISSING');
        expect(error.message).to.include('ffprobe');
        expect(error.hint).to.include('scripts/setup.sh');
      });

      it('says TOOL_MISSING when ffmpeg is missing', async () => {
        setMediaToolPaths({ ffmpeg: join(fixtures.dir, 'no-such-ffmpeg') });
        const error = await rejection(extractSubtitleStream(fixtures.mp4, { probe: probeOf(fixtures.mp4) }));
        expect(error.code).to.equal('TOOL_MISSING');
        expect(error.message).to.include('ffmpeg');
        expect(error.hint).to.include('scripts/setup.sh');
      });
    });

    describe('interrupted', () => {
      afterEach(() => setMediaToolPaths());

      it('kills ffprobe when the signal fires', async () => {
        const ffprobe = await makeStallingTool(tempDir(), 'ffprobe');
        setMediaToolPaths({ ffprobe: ffprobe.path });
        const controller = new AbortController();
        const pending = rejection(extractSubtitleStream(fixtures.mp4, { signal: controller.signal }));
        const pid = await ffprobe.started();
        controller.abort();
        expect((await pending).code).to.equal('INTERRUPTED');
        expect(await waitForExit(pid)).to.equal(true);
      });

      it('kills ffmpeg when the signal fires', async () => {
        const ffmpeg = await makeStallingTool(tempDir(), 'ffmpeg');
        setMediaToolPaths({ ffmpeg: ffmpeg.path });
        const controller = new AbortController();
        const pending = rejection(
          extractSubtitleStream(fixtures.mp4, { signal: controller.signal, probe: probeOf(fixtures.mp4) }),
        );
        const pid = await ffmpeg.started();
        controller.abort();
        expect((await pending).code).to.equal('INTERRUPTED');
        expect(await waitForExit(pid)).to.equal(true);
      });
    });
  });

  describe('muxSubtitleTrack', () => {
    /** Everything about a stream that a copy must keep (the new track aside). */
    const streamFacts = (probe: MediaProbe) =>
      probe.streams.map(({ type, codec, details, language, title, isDefault, isForced }) => ({
        type,
        codec,
        details,
        language,
        title,
        isDefault,
        isForced,
      }));

    const cases = [
      { name: 'MKV', file: () => fixtures.mkv, sourceStream: 2, ext: 'mkv', codec: 'subrip' },
      { name: 'MP4', file: () => fixtures.mp4, sourceStream: 2, ext: 'mp4', codec: 'mov_text' },
      { name: 'WebM', file: () => fixtures.webm, sourceStream: 2, ext: 'webm', codec: 'webvtt' },
    ];

    for (const { name, file, sourceStream, ext, codec } of cases) {
      it(`${name}: copies every stream, adds a tagged ${codec} track whose cues line up with the source track`, async () => {
        const input = file();
        const before = probeOf(input);
        const extracted = await extractSubtitleStream(input, { stream: sourceStream, probe: before });
        const output = join(tempDir(), `translated.${ext}`);
        const result = await muxSubtitleTrack(input, extracted, output, {
          language: 'en',
          title: 'English (subflow)',
          probe: before,
        });
        const after = await probeMedia(output);

        expect(result.codec).to.equal(codec);
        const added = after.streams.find((stream) => stream.index === result.streamIndex)!;
        expect(added).to.include({ type: 'subtitle', codec, language: 'eng', title: 'English (subflow)' });
        expect(added.isDefault).to.equal(false);
        const kept = { ...after, streams: after.streams.filter((stream) => stream !== added) };
        expect(streamFacts(kept)).to.deep.equal(streamFacts(before));
        expect(after.chapterCount).to.equal(before.chapterCount);

        // Same container, same clock: the new track's cues sit exactly where the source track's do.
        const muxedBack = await extractSubtitleStream(output, { stream: result.streamIndex, probe: after });
        const sourceInOutput = await extractSubtitleStream(output, { stream: sourceStream, probe: after });
        expect(times(muxedBack.cues)).to.deep.equal(times(sourceInOutput.cues));
        expect(muxedBack.cues.map((cue) => cue.text)).to.deep.equal(extracted.cues.map((cue) => cue.text));

        // Video and subtitle packets are copied with their timestamps untouched.
        const [packetsIn, packetsOut] = await Promise.all([packets(input), packets(output)]);
        expect(packetsOut.get(0)).to.deep.equal(packetsIn.get(0));
        expect(packetsOut.get(sourceStream)).to.deep.equal(packetsIn.get(sourceStream));
        const [audioIn, audioOut] = [packetsIn.get(1)!, packetsOut.get(1)!];
        expect(audioOut.map(([, size]) => size)).to.deep.equal(audioIn.map(([, size]) => size));
        const audioShiftMs = audioOut[0][0] - audioIn[0][0];
        if (name === 'WebM' && audioShiftMs !== 0) {
          // FFmpeg 5.1's Matroska muxer writes the Opus CodecDelay but (a line commented out in
          // matroskaenc.c) does not add it to the packets, so the demuxer subtracts it twice: any
          // `ffmpeg -i in.webm -c copy out.webm` moves the audio 6.5 ms earlier. The file's clock
          // follows the audio, so cues read back from the output are 6 ms later than from the input;
          // they still match the source track in the output (above) and the video frames.
          expect(audioShiftMs).to.be.within(-7, -6);
          audioOut.forEach(([ms], i) => expect(ms - audioIn[i][0]).to.be.within(-7, -6));
        } else {
          expect(audioOut).to.deep.equal(audioIn);
          expect(times(muxedBack.cues)).to.deep.equal(times(extracted.cues));
        }
      });
    }

    describe('keeps every cue', () => {
      /** One-word cues, one of zero length and two that overlap: each must become one packet. */
      const shortCues: SubtitleDocument = {
        format: 'srt',
        cues: [
          { start: 500, end: 1000, text: 'hola' },
          { start: 1200, end: 1600, text: 'sí' },
          { start: 1800, end: 1800, text: 'no' },
          { start: 2000, end: 3000, text: 'vale' },
          { start: 2500, end: 3500, text: 'ok' },
          { start: 3600, end: 4000, text: '-' },
        ],
      };

      /** Packets of a stream that hold a cue: mov_text fills the gaps between cues with empty (2-byte) samples. */
      async function cuePackets(file: string, stream: number, codec: string): Promise<number> {
        const { stdout } = await run('ffprobe', [
          '-v',
          'error',
          '-select_streams',
          String(stream),
          '-show_entries',
          'packet=size',
          '-of',
          'csv=p=0',
          file,
        ]);
        const sizes = stdout.trim().split('\n').map(Number);
        return sizes.filter((size) => size > (codec === 'mov_text' ? 2 : 0)).length;
      }

      for (const { name, file, ext, codec } of cases) {
        it(`${name}: one ${codec} packet per cue, counted by ffprobe after muxing`, async () => {
          const warnings: string[] = [];
          const output = join(tempDir(), `short.${ext}`);
          const result = await muxSubtitleTrack(file(), shortCues, output, {
            language: 'eng',
            probe: probeOf(file()),
            onWarning: (w) => warnings.push(w.message),
          });
          expect(result.cues).to.equal(6);
          expect(await cuePackets(output, result.streamIndex, codec)).to.equal(6);
          const back = await extractSubtitleStream(output, { stream: result.streamIndex });
          expect(back.cues.map((cue) => cue.text)).to.deep.equal(shortCues.cues.map((cue) => cue.text));
          if (codec === 'mov_text') {
            // An MP4 text track shows one sample at a time: the overlap is cut, and the user told so.
            expect(warnings).to.have.length(1);
            expect(warnings[0]).to.match(
              /cue 4 at 00:00:02,000 overlaps cue 5; .*cue 4 ends at 00:00:02,500/,
            );
          } else {
            expect(warnings).to.deep.equal([]);
            // Where each cue lands on the file's clock is checked above; here: none is cut short.
            const durations = (cues: readonly Cue[]) => cues.map((cue) => cue.end - cue.start);
            expect(durations(back.cues)).to.deep.equal(durations(shortCues.cues));
          }
        });
      }

      it('leaves out cues without visible text (ffmpeg drops them, and in WebVTT the cues after them), with a warning', async () => {
        const blank: SubtitleDocument = {
          format: 'vtt',
          cues: [
            { start: 500, end: 1000, text: 'hola' },
            { start: 1200, end: 1600, text: '' },
            { start: 1800, end: 2000, text: 'sí' },
            { start: 2200, end: 2600, text: '<i> </i>' },
            { start: 3000, end: 3500, text: 'vale' },
          ],
        };
        for (const { file, ext, codec } of cases) {
          const warnings: string[] = [];
          const output = join(tempDir(), `blank.${ext}`);
          const result = await muxSubtitleTrack(file(), blank, output, {
            language: 'eng',
            probe: probeOf(file()),
            onWarning: (w) => warnings.push(w.message),
          });
          expect(result.cues, ext).to.equal(3);
          expect(await cuePackets(output, result.streamIndex, codec), ext).to.equal(3);
          expect(warnings, ext).to.deep.equal([
            `${output}: 2 cues without text were left out of the new track (cue 2 at 00:00:01,200, cue 4 at 00:00:02,200)`,
          ]);
        }
      });

      it('says TOOL_FAILED and keeps no muxed copy when ffmpeg writes fewer cues than it was given', async () => {
        const dir = join(tempDir(), 'lossy');
        await mkdir(dir);
        // The real ffmpeg, but the subtitle file it reads (the input after -itsoffset) keeps only its first cue.
        const lossy = join(dir, 'lossy-ffmpeg');
        await writeFile(
          lossy,
          `#!/bin/sh
prev=""; offset=""
for arg; do
  if [ "$prev" = "-i" ] && [ -n "$offset" ]; then head -n 3 "$arg" > "$arg.cut" && mv "$arg.cut" "$arg"; fi
  [ "$arg" = "-itsoffset" ] && offset=1
  prev="$arg"
done
exec ffmpeg "$@"
`,
          { mode: 0o755 },
        );
        setMediaToolPaths({ ffmpeg: lossy });
        try {
          const output = join(dir, 'lossy.mkv');
          const error = await rejection(
            muxSubtitleTrack(fixtures.mkv, shortCues, output, {
              language: 'eng',
              probe: probeOf(fixtures.mkv),
            }),
          );
          expect(error.code).to.equal('TOOL_FAILED');
          expect(error.message).to.equal(
            `ffmpeg wrote 1 of the 6 cues into the new subrip track of ${output}, so no muxed copy was kept`,
          );
          expect(await readdir(dir)).to.deep.equal(['lossy-ffmpeg']);
        } finally {
          setMediaToolPaths();
        }
      });
    });

    it('MKV: keeps the attachment and writes an ASS document as an ass track', async () => {
      const output = join(tempDir(), 'ass.mkv');
      const result = await muxSubtitleTrack(fixtures.mkv, source.ass, output, {
        language: 'eng',
        probe: probeOf(fixtures.mkv),
      });
      expect(result.codec).to.equal('ass');
      const probe = await probeMedia(output);
      expect(probe.streams.filter((s) => s.type === 'attachment').map((s) => s.details)).to.deep.equal([
        'notes.txt',
      ]);
      const back = await extractSubtitleStream(output, { stream: result.streamIndex, probe });
      expect(back.format).to.equal('ass');
      expect(back.cues.map((cue) => cue.text)).to.deep.equal(source.ass.cues.map((cue) => cue.text));
    });

    it('MKV: a WebVTT document becomes subrip; setDefault moves the default flag to it', async () => {
      const output = join(tempDir(), 'default.mkv');
      const result = await muxSubtitleTrack(fixtures.mkv, source.vtt, output, {
        language: 'ger',
        setDefault: true,
        probe: probeOf(fixtures.mkv),
      });
      expect(result.codec).to.equal('subrip');
      const probe = await probeMedia(output);
      expect(probe.subtitleStreams.map((s) => [s.index, s.language, s.isDefault])).to.deep.equal([
        [2, 'spa', false],
        [3, 'spa', false],
        [4, 'ger', true],
      ]);
    });

    it('says OUTPUT_IS_INPUT when asked to overwrite the input', async () => {
      const error = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, join(fixtures.dir, '.', 'spanish.mkv'), {
          language: 'eng',
        }),
      );
      expect(error.code).to.equal('OUTPUT_IS_INPUT');
    });

    it('says OUTPUT_NOT_WRITABLE for a folder it cannot write, BAD_ARGUMENT for a container or language it cannot use', async () => {
      const unwritable = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, join(tempDir(), 'missing', 'out.mkv'), {
          language: 'eng',
        }),
      );
      expect(unwritable.code).to.equal('OUTPUT_NOT_WRITABLE');
      const avi = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, join(tempDir(), 'out.avi'), { language: 'eng' }),
      );
      expect(avi.code).to.equal('BAD_ARGUMENT');
      const language = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, join(tempDir(), 'out.mkv'), { language: 'english' }),
      );
      expect(language.code).to.equal('BAD_ARGUMENT');
    });

    it('says OUTPUT_NOT_WRITABLE when the output name is a folder, and leaves no partial file', async () => {
      const dir = join(tempDir(), 'taken');
      const output = join(dir, 'movie.mkv');
      await mkdir(output, { recursive: true });
      const error = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, output, { language: 'eng', probe: probeOf(fixtures.mkv) }),
      );
      expect(error.code).to.equal('OUTPUT_NOT_WRITABLE');
      expect(await readdir(dir)).to.deep.equal(['movie.mkv']);
    });

    it('says OUTPUT_NOT_WRITABLE for a read-only folder', async function () {
      if (process.getuid?.() === 0) this.skip(); // root writes into read-only folders
      const dir = join(tempDir(), 'read-only');
      await mkdir(dir, { mode: 0o555 });
      const error = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, join(dir, 'out.mkv'), {
          language: 'eng',
          probe: probeOf(fixtures.mkv),
        }),
      );
      expect(error.code).to.equal('OUTPUT_NOT_WRITABLE');
    });

    it('keeps the container family: BAD_ARGUMENT for MP4 → MKV, TOOL_FAILED quoting ffmpeg for h264 → WebM', async () => {
      const family = await rejection(
        muxSubtitleTrack(fixtures.mp4, source.srt, join(tempDir(), 'other.mkv'), {
          language: 'eng',
          probe: probeOf(fixtures.mp4),
        }),
      );
      expect(family.code).to.equal('BAD_ARGUMENT');
      expect(family.message).to.include('keeps the container');
      const output = join(tempDir(), 'h264.webm');
      const refused = await rejection(
        muxSubtitleTrack(fixtures.mkv, source.srt, output, { language: 'eng', probe: probeOf(fixtures.mkv) }),
      );
      expect(refused.code).to.equal('TOOL_FAILED');
      expect(refused.message).to.match(/WebM/i);
      expect((await readdir(tempDir())).filter((name) => name.includes('h264.webm'))).to.deep.equal([]);
    });

    it('leaves no output and no partial file when interrupted, and kills ffmpeg', async () => {
      const dir = tempDir();
      const ffmpeg = await makeStallingTool(dir, 'ffmpeg');
      setMediaToolPaths({ ffmpeg: ffmpeg.path });
      try {
        const controller = new AbortController();
        const doc: SubtitleDocument = source.srt;
        const output = join(dir, 'interrupted.mkv');
        const pending = rejection(
          muxSubtitleTrack(fixtures.mkv, doc, output, { language: 'eng', signal: controller.signal }),
        );
        const pid = await ffmpeg.started();
        controller.abort();
        expect((await pending).code).to.equal('INTERRUPTED');
        expect(await waitForExit(pid)).to.equal(true);
        expect((await readdir(dir)).filter((name) => name.includes('interrupted'))).to.deep.equal([]);
      } finally {
        setMediaToolPaths();
      }
    });
  });
});
