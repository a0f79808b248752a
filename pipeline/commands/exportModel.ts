import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SubflowError } from '../../errors.js';
import { assignWeights, loadCheckpoint, saveCheckpoint } from '../../model/checkpoint.js';
import { resolveModelConfig, type ModelConfig } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { resolveBackend } from '../../model/backend.js';
import { toIso6391 } from '../../subtitles/mediaLanguages.js';
import { checkOutputFolders } from '../../outputPath.js';
import { matrixSparsity } from '../../model/pruning.js';
import {
  calibrationUnsupported,
  collectInputStatistics,
  quantizeCalibrated,
} from '../../model/calibration.js';
import type { QuantizedMatrix } from '../../model/quantize.js';
import { loadModel } from '../../model/translationModel.js';
import { translateSentences } from '../../model/translateSentences.js';
import { readLines } from '../../text/lines.js';

interface ExportFlags {
  dtype: 'float32' | 'float16' | 'int8';
  sourceLang?: string;
  targetLang?: string;
  calibration?: string;
}

/** Calibration sentences read: enough for every 512×512 Hessian many times over, a few seconds' work. */
const CALIBRATION_SENTENCES = 1000;

/**
 * int8 matrices calibrated on the first source sentences of `file` (calibration.ts): the model
 * translates them greedily, and the Hessians come from reading each sentence with its translation.
 */
async function calibratedInt8(from: string, file: string): Promise<Map<string, QuantizedMatrix>> {
  const sentences: string[] = [];
  for await (const { text } of readLines(file)) {
    if (text.trim().length > 0) sentences.push(text);
    if (sentences.length === CALIBRATION_SENTENCES) break;
  }
  if (sentences.length === 0)
    throw new SubflowError('BAD_ARGUMENT', `export-model: ${file} has no sentences to calibrate on`, {
      file,
      key: 'calibration',
      hint: 'give a text file with one source-language sentence per line, e.g. the train split',
    });
  const translation = await loadModel(from, { backend: 'current' });
  try {
    const why = calibrationUnsupported(translation.model.config);
    if (why !== undefined)
      throw new SubflowError('BAD_ARGUMENT', `export-model: ${why}`, {
        key: 'calibration',
        hint: 'export without --calibration (int8 with plain rounding)',
      });
    const targets = await translateSentences(translation, sentences, { beam: 1 });
    const pairs = sentences.map((sentence, i) => ({
      source: Int32Array.from(translation.sourceTokenizer.encode(sentence)),
      target: Int32Array.from(translation.targetTokenizer.encode(targets[i].text)),
    }));
    return quantizeCalibrated(translation.model, collectInputStatistics(translation.model, pairs));
  } finally {
    translation.dispose();
  }
}

/** The pair the flags give (ISO 639-1), or undefined for none; checked before anything is read. */
function languagesOf(flags: ExportFlags): { source: string; target: string } | undefined {
  if (flags.sourceLang === undefined && flags.targetLang === undefined) return undefined;
  if (flags.sourceLang === undefined || flags.targetLang === undefined) {
    throw new SubflowError('BAD_ARGUMENT', 'export-model: --source-lang and --target-lang go together', {
      key: flags.sourceLang === undefined ? 'source-lang' : 'target-lang',
      hint: 'give both, e.g. --source-lang es --target-lang en',
    });
  }
  return {
    source: toIso6391(flags.sourceLang, 'source-lang'),
    target: toIso6391(flags.targetLang, 'target-lang'),
  };
}

/**
 * `subflow export-model FROM TO [--dtype float16] [--source-lang es --target-lang en]`: copies a
 * checkpoint's weights and tokenizers into a new folder to ship or translate with, without the
 * optimizer state (a third of the size in float32, a sixth in float16, which loads back as float32;
 * int8 stores every matrix as int8 with a float scale per output row, about a twelfth, and decodes
 * on the native int8 kernels, see model/quantize.ts; `--calibration` picks its integers by GPTQ).
 * The language flags record the pair in model.json (for folders written before training did so).
 */
export function registerExportModelCommand(program: Command): void {
  program
    .command('export-model')
    .description(
      'write a checkpoint as a translation-only model folder (no optimizer state), optionally float16 or int8',
    )
    .argument('<from>', 'checkpoint folder, e.g. runs/NAME/checkpoints/best')
    .argument('<to>', 'folder to write (replaced atomically if it is a subflow checkpoint)')
    .addOption(
      new Option('--dtype <type>', 'storage of weights.bin')
        .choices(['float32', 'float16', 'int8'])
        .default('float16'),
    )
    .option('--source-lang <code>', 'language the model translates from (es, spa …; stored as ISO 639-1)')
    .option('--target-lang <code>', 'language it translates into (en, eng …); give both or neither')
    .option(
      '--calibration <file>',
      `int8 only: source sentences (first ${CALIBRATION_SENTENCES}; .gz read too) to choose the int8 weights by (GPTQ); closer to the float model than plain rounding`,
    )
    .action(async (from: string, to: string, flags: ExportFlags) => {
      const languages = languagesOf(flags);
      if (flags.calibration !== undefined && flags.dtype !== 'int8')
        throw new SubflowError('BAD_ARGUMENT', 'export-model: --calibration only applies to --dtype int8', {
          key: 'calibration',
          hint: 'add --dtype int8, or drop --calibration',
        });
      if (resolve(from) === resolve(to)) {
        throw new SubflowError('OUTPUT_IS_INPUT', `export-model: ${to} is the checkpoint being read`, {
          hint: 'choose another output folder',
        });
      }
      await checkOutputFolders(join(to, 'model.json'));
      // Calibrating translates, which the wasm backend's native kernels do fastest.
      await resolveBackend(flags.calibration === undefined ? 'cpu' : 'wasm');
      const checkpoint = loadCheckpoint(from);
      if (!checkpoint.tokenizerPaths) {
        throw new SubflowError('MODEL_INVALID', `${from} has no tokenizers to copy`, {
          hint: 'export a checkpoint written by the train stage',
        });
      }
      const quantized =
        flags.calibration === undefined ? undefined : await calibratedInt8(checkpoint.dir, flags.calibration);
      const model = new Seq2Seq(resolveModelConfig(checkpoint.model.modelConfig as Partial<ModelConfig>));
      try {
        assignWeights(model, checkpoint);
        saveCheckpoint(to, model, {
          tokenizers: checkpoint.tokenizerPaths,
          languages: languages ?? checkpoint.model.languages,
          weightsDtype: flags.dtype,
          training: checkpoint.model.training,
          ...(quantized ? { quantized } : {}),
        });
      } finally {
        model.dispose();
      }
      const pair = languages ?? checkpoint.model.languages;
      const named = pair ? `, ${pair.source} → ${pair.target}` : ', no language pair recorded';
      const sparsity = matrixSparsity(checkpoint.weights.values());
      // A few weights of any model are exactly zero (float16 underflow); name only a pruned model's share.
      const zeros =
        sparsity >= 0.01
          ? `, ${(100 * sparsity).toFixed(1)} % of matrix weights zero (recorded as sparsity)`
          : '';
      const calibrated = quantized ? `, calibrated on ${flags.calibration}` : '';
      process.stderr.write(
        `export-model: wrote ${to} (${flags.dtype} weights${calibrated}${named}${zeros})\n`,
      );
    });
}
