/**
 * `npm run demo`: makes a 21-second sample video with a Spanish subtitle track (eight short verses of
 * the Bible test split, one cue each), translates it with the default model exactly as
 * `subflow translate runs/demo/sample.mkv --mux` does, and shows what was written.
 *
 * Needs ffmpeg (scripts/setup.sh installs it) and the default model in models/bible-es-en/.
 * Arguments are passed on to `subflow translate` (`npm run demo -- --model DIR --beam 1`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../packageInfo.js';
import { main } from '../pipeline/program.js';
import { readSubtitleFile } from '../subtitles/readSubtitleFile.js';
import { formatSrtTimestamp } from '../subtitles/timestamp.js';

const CUE_COUNT = 8;
const CUE_EVERY_MS = 2400;
const CUE_LENGTH_MS = 2200;
/** Two subtitle lines of 42 characters. */
const MAX_VERSE_CHARS = 84;
const VIDEO_SECONDS = 21;

const root = packageRoot();
const demoDir = join(root, 'runs', 'demo');
const video = join(demoDir, 'sample.mkv');
const spanishSrt = join(demoDir, 'sample.spa.srt');

/** The first short verses of the test split: whole sentences that fit a two-line cue. */
function shortVerses(): string[] {
  const text = gunzipSync(readFileSync(join(root, 'corpora', 'bible-es-en', 'test.es.gz'))).toString('utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 20 && line.length <= MAX_VERSE_CHARS && /[.!?]$/.test(line))
    .slice(0, CUE_COUNT);
}

function srtOf(verses: readonly string[]): string {
  return verses
    .map((verse, k) => {
      const start = 1000 + k * CUE_EVERY_MS;
      return `${k + 1}\n${formatSrtTimestamp(start)} --> ${formatSrtTimestamp(start + CUE_LENGTH_MS)}\n${verse}\n`;
    })
    .join('\n');
}

/** Test pattern video, a tone, and the Spanish track tagged `spa`; written via a temp name. */
async function makeSampleVideo(): Promise<void> {
  const partial = join(demoDir, '.sample.partial.mkv');
  // prettier-ignore
  await promisify(execFile)('ffmpeg', [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=10:duration=${VIDEO_SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${VIDEO_SECONDS}`,
    '-i', spanishSrt,
    '-map', '0', '-map', '1', '-map', '2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
    '-metadata:s:s:0', 'language=spa', '-metadata:s:s:0', 'title=Español',
    partial,
  ]);
  renameSync(partial, video);
}

async function demo(): Promise<number> {
  mkdirSync(demoDir, { recursive: true });
  const verses = shortVerses();
  writeFileSync(spanishSrt, srtOf(verses));
  await makeSampleVideo();
  process.stderr.write(`demo: made ${video} (${VIDEO_SECONDS} s, ${verses.length} Spanish cues)\n`);
  const extra = process.argv.slice(2);
  process.stderr.write(`demo: running: subflow translate ${[video, '--mux', ...extra].join(' ')}\n`);

  const code = await main(['translate', video, '--mux', ...extra]);
  if (code !== 0) return code;

  const englishSrt = join(demoDir, 'sample.eng.srt');
  const muxed = join(demoDir, 'sample.eng.mkv');
  const [spanish, english] = await Promise.all([readSubtitleFile(spanishSrt), readSubtitleFile(englishSrt)]);
  const lines = [
    '',
    `translated subtitles: ${englishSrt}`,
    `video with the English track added: ${muxed}`,
    '',
    'first cues:',
  ];
  for (const [k, cue] of english.document.cues.slice(0, 4).entries()) {
    lines.push(
      `  ${formatSrtTimestamp(cue.start)} --> ${formatSrtTimestamp(cue.end)}`,
      `    es: ${spanish.document.cues[k].text.replace(/\n/g, ' ')}`,
      `    en: ${cue.text.replace(/\n/g, ' ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

try {
  process.exitCode = await demo();
} catch (error) {
  rmSync(join(demoDir, '.sample.partial.mkv'), { force: true });
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
