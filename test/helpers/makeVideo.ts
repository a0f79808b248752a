import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Spanish track every text fixture carries, as SRT; the ASS and WebVTT versions hold the same cues. */
export const SPANISH_SRT = `1
00:00:00,500 --> 00:00:01,250
Hola, ¿qué tal?

2
00:00:01,700 --> 00:00:02,900
<i>Bien,</i> gracias.
¿Y tú?

3
00:00:03,123 --> 00:00:04,456
- Vamos.
- ¡Ya voy!
`;

/** An English track with other cues than the Spanish one, so a test can tell which was translated. */
export const ENGLISH_SRT = `1
00:00:00,200 --> 00:00:01,000
Hello.

2
00:00:02,000 --> 00:00:03,000
Goodbye.
`;

/** ASS keeps centiseconds, so the third cue is 3.12 → 4.46 s here. */
export const SPANISH_ASS = `[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,16,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:01.25,Default,,0,0,0,,Hola, ¿qué tal?
Dialogue: 0,0:00:01.70,0:00:02.90,Default,,0,0,0,,{\\i1}Bien,{\\i0} gracias.\\N¿Y tú?
Dialogue: 0,0:00:03.12,0:00:04.46,Default,,0,0,0,,- Vamos.\\N- ¡Ya voy!
`;

export const SPANISH_VTT = `WEBVTT

00:00:00.500 --> 00:00:01.250
Hola, ¿qué tal?

00:00:01.700 --> 00:00:02.900
<i>Bien,</i> gracias.
¿Y tú?

00:00:03.123 --> 00:00:04.456
- Vamos.
- ¡Ya voy!
`;

const CHAPTERS = `;FFMETADATA1
title=subflow fixture
[CHAPTER]
TIMEBASE=1/1000
START=0
END=2500
title=Uno
[CHAPTER]
TIMEBASE=1/1000
START=2500
END=5000
title=Dos
`;

/** Paths of the generated media fixtures (all 5 s, 160x120, 10 fps, a 440 Hz tone). */
export interface VideoFixtures {
  dir: string;
  /** h264 + aac + subrip (spa, default) + ass (spa, titled) + a text attachment, 2 chapters, a title. */
  mkv: string;
  /** h264 + aac + mov_text (spa). */
  mp4: string;
  /** h264 + two mov_text tracks: #1 English (ENGLISH_SRT, default), #2 Spanish (SPANISH_SRT). */
  twoTrackMp4: string;
  /** vp8 + opus + webvtt (spa). */
  webm: string;
  /** h264 + one PGS bitmap track (eng). */
  bitmapMkv: string;
  /** h264 + aac, no subtitles. */
  noSubtitlesMp4: string;
  /** A subtitle-only MKV whose subrip track holds cp1252 bytes, as old rips do: "¿Qué tal, señor?". */
  cp1252Mkv: string;
  /** The first 40% of `mkv`: headers intact, clusters cut off. */
  truncatedMkv: string;
  /** The first half of `mp4`: the moov atom at the end is gone. */
  truncatedMp4: string;
}

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=5'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=5'];
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10'];

/**
 * A minimal HDMV PGS (.sup) stream: two display sets, each a presentation composition segment with
 * no objects plus an end segment. Enough for ffmpeg to copy it into Matroska as `hdmv_pgs_subtitle`
 * (ffmpeg 5 cannot encode text into a bitmap subtitle codec).
 */
function pgsSup(): Buffer {
  const segment = (ptsMs: number, type: number, data: Buffer): Buffer => {
    const head = Buffer.alloc(13);
    head.write('PG', 0, 'latin1');
    head.writeUInt32BE(ptsMs * 90, 2);
    head.writeUInt32BE(0, 6);
    head.writeUInt8(type, 10);
    head.writeUInt16BE(data.length, 11);
    return Buffer.concat([head, data]);
  };
  const displaySet = (ptsMs: number, composition: number): Buffer => {
    const pcs = Buffer.alloc(11);
    pcs.writeUInt16BE(160, 0);
    pcs.writeUInt16BE(120, 2);
    pcs.writeUInt8(0x10, 4);
    pcs.writeUInt16BE(composition, 5);
    pcs.writeUInt8(0x80, 7); // epoch start; no palette update, palette 0, zero objects
    return Buffer.concat([segment(ptsMs, 0x16, pcs), segment(ptsMs, 0x80, Buffer.alloc(0))]);
  };
  return Buffer.concat([displaySet(500, 0), displaySet(1500, 1)]);
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
}

async function truncate(from: string, to: string, share: number): Promise<void> {
  const bytes = await readFile(from);
  await writeFile(to, bytes.subarray(0, Math.floor(bytes.length * share)));
}

async function generate(): Promise<VideoFixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'subflow-video-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => join(dir, name);
  await Promise.all([
    writeFile(at('es.srt'), SPANISH_SRT),
    writeFile(at('en.srt'), ENGLISH_SRT),
    writeFile(at('es.ass'), SPANISH_ASS),
    writeFile(at('es.vtt'), SPANISH_VTT),
    writeFile(at('chapters.txt'), CHAPTERS),
    writeFile(at('notes.txt'), 'an attachment that must survive muxing\n'),
    writeFile(at('bitmap.sup'), pgsSup()),
    writeFile(
      at('cp1252.srt'),
      Buffer.from('1\r\n00:00:01,000 --> 00:00:02,000\r\n\xbfQu\xe9 tal, se\xf1or?\r\n', 'latin1'),
    ),
  ]);
  const fixtures: VideoFixtures = {
    dir,
    mkv: at('spanish.mkv'),
    mp4: at('spanish.mp4'),
    twoTrackMp4: at('two.mp4'),
    webm: at('spanish.webm'),
    bitmapMkv: at('bitmap.mkv'),
    noSubtitlesMp4: at('silent.mp4'),
    cp1252Mkv: at('cp1252.mkv'),
    truncatedMkv: at('truncated.mkv'),
    truncatedMp4: at('truncated.mp4'),
  };
  // prettier-ignore
  await Promise.all([
    ffmpeg([...VIDEO, ...AUDIO, '-i', at('es.srt'), '-i', at('es.ass'), '-i', at('chapters.txt'),
      '-map', '0', '-map', '1', '-map', '2', '-map', '3', '-map_metadata', '4', '-map_chapters', '4',
      ...H264, '-c:a', 'aac', '-c:s:0', 'srt', '-c:s:1', 'ass',
      '-metadata:s:s:0', 'language=spa', '-metadata:s:s:1', 'language=spa', '-metadata:s:s:1', 'title=Spanish (ASS)',
      '-disposition:s:0', 'default', '-disposition:s:1', '0',
      '-attach', at('notes.txt'), '-metadata:s:t', 'mimetype=text/plain', fixtures.mkv]),
    ffmpeg([...VIDEO, ...AUDIO, '-i', at('es.srt'), '-map', '0', '-map', '1', '-map', '2',
      ...H264, '-c:a', 'aac', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=spa', fixtures.mp4]),
    ffmpeg([...VIDEO, '-i', at('en.srt'), '-i', at('es.srt'), '-map', '0', '-map', '1', '-map', '2', ...H264,
      '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:1', 'language=spa',
      '-disposition:s:0', 'default', '-disposition:s:1', '0', fixtures.twoTrackMp4]),
    ffmpeg([...VIDEO, ...AUDIO, '-i', at('es.vtt'), '-map', '0', '-map', '1', '-map', '2',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus', '-c:s', 'webvtt',
      '-metadata:s:s:0', 'language=spa', fixtures.webm]),
    ffmpeg([...VIDEO, '-i', at('bitmap.sup'), '-map', '0', '-map', '1', ...H264, '-c:s', 'copy',
      '-metadata:s:s:0', 'language=eng', fixtures.bitmapMkv]),
    ffmpeg([...VIDEO, ...AUDIO, '-map', '0', '-map', '1', ...H264, '-c:a', 'aac', fixtures.noSubtitlesMp4]),
    ffmpeg(['-i', at('cp1252.srt'), '-c:s', 'copy', '-metadata:s:s:0', 'language=spa', fixtures.cp1252Mkv]),
  ]);
  await Promise.all([
    truncate(fixtures.mkv, fixtures.truncatedMkv, 0.4),
    truncate(fixtures.mp4, fixtures.truncatedMp4, 0.5),
  ]);
  return fixtures;
}

let cached: Promise<VideoFixtures> | undefined;

/**
 * Generates the media fixtures once per test run (about a second with lavfi sources), in a temp
 * folder removed when the process exits. Later calls get the same files: tests must not modify them.
 */
export function makeVideoFixtures(): Promise<VideoFixtures> {
  cached ??= generate();
  return cached;
}

/** A stand-in for ffmpeg or ffprobe that hangs, so tests can stop work while a child process runs. */
export interface StallingTool {
  /** Executable to hand to `setMediaToolPaths`. */
  path: string;
  /** Resolves with the PID of the first hanging run once it has started. */
  started(): Promise<number>;
}

/**
 * Writes a script that runs the real tool for capability queries (fluent-ffmpeg asks
 * `ffmpeg -formats`/`-encoders` before a run) but, for real work (`-i`, or a file for ffprobe),
 * writes a few bytes to a `*.partial` output (as a half-done mux would; never to an input), records its PID and sleeps a
 * minute in place of the tool (`exec`, so the PID is the sleeper's).
 */
export async function makeStallingTool(dir: string, tool: 'ffmpeg' | 'ffprobe'): Promise<StallingTool> {
  const path = join(dir, `stalling-${tool}-${Math.random().toString(36).slice(2)}`);
  const pidFile = `${path}.pid`;
  const work = tool === 'ffmpeg' ? '*" -i "*' : '*';
  const script = `#!/bin/sh
case " $* " in
  *" -formats "*|*" -encoders "*|*" -decoders "*|*" -codecs "*|*" -filters "*) exec ${tool} "$@" ;;
  ${work})
    for last; do :; done
    case "$last" in *.partial) echo 'half-written' > "$last" ;; esac
    echo $$ > "${pidFile}.tmp" && mv "${pidFile}.tmp" "${pidFile}"
    exec sleep 60 ;;
esac
exec ${tool} "$@"
`;
  await writeFile(path, script, { mode: 0o755 });
  return {
    path,
    async started() {
      for (let waited = 0; waited < 20_000; waited += 20) {
        const pid = await readFile(pidFile, 'utf8').catch(() => '');
        if (pid.trim() !== '') return Number(pid);
        await new Promise((done) => setTimeout(done, 20));
      }
      throw new Error(`${path} never started`);
    },
  };
}

/** True while a process with this PID exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the process is gone; false when it is still running after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    if (!isRunning(pid)) return true;
    await new Promise((done) => setTimeout(done, 20));
  }
  return !isRunning(pid);
}
