/**
 * `npm run bench -- subtitles [--cues 1500] [--beam K] [--model DIR]`: a feature-length subtitle
 * track translated end to end, the way `subflow translate movie.mkv --mux` does it: ffprobe +
 * extraction, parsing, sentence segmentation, the model, splitting back, reflow, writing the .srt and
 * muxing a copy. Prints one JSON line: wall time, cues/s, and how much of the time was spent outside
 * the model.
 *
 * The track is generated: verses of the Bible test split cut into cues of at most two 42-character
 * lines, timed at about 15 characters a second, on a 1-fps test-pattern video (made before timing).
 * The model is the default one (models/bible-es-en) when present; otherwise an untrained ref-small
 * network with SentencePiece tokenizers trained on the corpus. That one translates nothing useful
 * (it usually runs to the maximum output length), so it is only good for timing, and the JSON says so.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { saveCheckpoint } from '../model/checkpoint.js';
import { resolveModelConfig } from '../model/config.js';
import { resolveBackend } from '../model/backend.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { loadModel } from '../model/translationModel.js';
import { modelTranslator, type UnitTranslator } from '../operators/translateCues.js';
import { translateSubtitleFile } from '../jobs/translateSubtitleFile.js';
import { outputPaths } from '../jobs/subtitleInputs.js';
import { defaultModelDir } from '../model/defaultModel.js';
import { packageRoot } from '../packageInfo.js';
import type { Cue } from '../subtitles/cue.js';
import { REFLOW_DEFAULTS } from '../subtitles/reflow.js';
import { SEARCH_DEFAULTS } from '../model/searchInternals.js';
import { writeSubtitles } from '../subtitles/formats.js';
import { trainSentencePiece } from '../text/sentencepieceTrainer.js';
import { Tokenizer } from '../text/tokenizer.js';
import { peakRssMb, printFigure } from './_common.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const cueCount = Number(flag('cues', '1500'));
const beam = Number(flag('beam', String(SEARCH_DEFAULTS.beam)));
const corpus = join(packageRoot(), 'corpora', 'bible-es-en');
const gunzipLines = (file: string): string[] =>
  gunzipSync(readFileSync(join(corpus, file)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

/** Cuts text into pieces of at most `max` characters at word boundaries. */
function cutAtWords(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current && current.length + 1 + word.length > max) {
      pieces.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** `count` cues from the test verses (repeated as needed): ~15 characters a second, short gaps. */
function generateCues(count: number): Cue[] {
  const verses = gunzipLines('test.es.gz');
  const cues: Cue[] = [];
  let time = 1000;
  for (let v = 0; cues.length < count; v++) {
    for (const piece of cutAtWords(verses[v % verses.length], 70)) {
      if (cues.length === count) break;
      const duration = Math.max(1200, Math.round((piece.length / 15) * 1000));
      cues.push({ start: time, end: time + duration, text: piece });
      time += duration + 250;
    }
    time += 600; // a longer pause between verses
  }
  return cues;
}

async function makeVideo(dir: string, cues: Cue[]): Promise<string> {
  const srt = join(dir, 'track.srt');
  writeFileSync(srt, writeSubtitles({ format: 'srt', cues }));
  const seconds = Math.ceil(cues[cues.length - 1].end / 1000) + 2;
  const video = join(dir, 'feature.mkv');
  // prettier-ignore
  await promisify(execFile)('ffmpeg', [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=64x48:rate=1:duration=${seconds}`, '-i', srt,
    '-map', '0', '-map', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:s', 'srt',
    '-metadata:s:s:0', 'language=spa', video,
  ]);
  return video;
}

/** An untrained ref-small checkpoint with tokenizers trained on the corpus (vocab 8000, as the config). */
async function untrainedRefSmall(dir: string): Promise<string> {
  const [sourcePath, targetPath] = await Promise.all(
    (['es', 'en'] as const).map((side) =>
      trainSentencePiece({
        sentences: gunzipLines(`train.${side}.gz`),
        modelPrefix: join(dir, side === 'es' ? 'source' : 'target'),
        vocabSize: 8000,
        characterCoverage: 1,
      }),
    ),
  );
  const [source, target] = await Promise.all([Tokenizer.load(sourcePath), Tokenizer.load(targetPath)]);
  const model = new Seq2Seq(resolveModelConfig({ srcVocab: source.vocabSize, tgtVocab: target.vocabSize }), {
    seed: 1,
  });
  const checkpoint = join(dir, 'model');
  saveCheckpoint(checkpoint, model, { tokenizers: { source: sourcePath, target: targetPath } });
  model.dispose();
  return checkpoint;
}

async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'subflow-bench-subtitles-'));
  try {
    const cues = generateCues(cueCount);
    const video = await makeVideo(dir, cues);
    const explicit = flag('model', '');
    const bundled = existsSync(join(defaultModelDir(), 'model.json'));
    let modelDir: string;
    let modelName: string;
    if (explicit) [modelDir, modelName] = [explicit, explicit];
    else if (bundled) [modelDir, modelName] = [defaultModelDir(), 'default (models/bible-es-en)'];
    else {
      await resolveBackend('auto');
      modelDir = await untrainedRefSmall(dir);
      modelName = 'untrained ref-small (no default model; timing only, translations meaningless)';
    }
    const loadStart = performance.now();
    const translationModel = await loadModel(modelDir, { backend: 'auto' });
    const loadSeconds = (performance.now() - loadStart) / 1000;

    let modelMs = 0;
    let units = 0;
    const inner = modelTranslator(translationModel, { beam });
    const timedTranslator: UnitTranslator = async (batch, signal) => {
      const start = performance.now();
      units += batch.length;
      try {
        return await inner(batch, signal);
      } finally {
        modelMs += performance.now() - start;
      }
    };
    const input = { path: video, kind: 'video' as const };
    const start = performance.now();
    const result = await translateSubtitleFile(
      input,
      outputPaths(input, { targetLanguage: 'eng', fileCount: 1 }),
      {
        translateUnits: timedTranslator,
        inputs: [video],
        options: {
          targetLanguage: 'eng',
          mux: true,
          strict: false,
          bom: false,
          ...REFLOW_DEFAULTS,
        },
      },
    );
    const wallMs = performance.now() - start;
    translationModel.dispose();
    const { timings } = result;
    const round = (ms: number) => Math.round(ms) / 1000;
    printFigure({
      bench: 'subtitles',
      model: modelName,
      backend: translationModel.backend.name,
      beam,
      cues: result.cues,
      units,
      wall_s: round(wallMs),
      cues_per_second: Math.round((result.cues / (wallMs / 1000)) * 10) / 10,
      model_s: round(modelMs),
      outside_model_s: round(wallMs - modelMs),
      outside_model_share: Math.round(((wallMs - modelMs) / wallMs) * 10_000) / 10_000,
      probe_extract_parse_s: round(timings.readMs),
      segment_split_reflow_s: round(timings.translateMs - modelMs),
      write_s: round(timings.writeMs),
      mux_s: round(timings.muxMs),
      model_load_s: Math.round(loadSeconds * 1000) / 1000,
      peak_rss_mb: peakRssMb(),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await bench();
