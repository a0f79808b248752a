import { Observable, type OperatorFunction } from 'rxjs';
import type { Cue, SubtitleFormat, SubtitleWarning } from '../subtitles/cue.js';
import { translateDocument, type PrepareCuesOptions } from '../subtitles/translateDocument.js';
import type { TranslationModel } from '../model/translationModel.js';
import { translateSentences, type TranslateOptions } from '../model/translateSentences.js';
import { DEFAULT_SPLIT, type AlignedTranslation } from '../subtitles/attentionSplit.js';
import { wordAttention } from '../text/wordAlignment.js';
import type { Translation } from '../types.js';

/**
 * Translates plain-text units (sentences or single cue turns), one out per unit, in order: its text,
 * or its text with the word attention behind it (for attention splitting). `signal` fires when the
 * caller no longer wants the result (unsubscribe, Ctrl-C).
 */
export type UnitTranslator = (
  units: string[],
  signal?: AbortSignal,
) => Promise<Array<string | AlignedTranslation>>;

/** Search and batching options for a model, plus progress reporting. */
export interface ModelTranslatorOptions extends Omit<TranslateOptions, 'onWarning' | 'signal'> {
  /** Units handed to the model at once (each chunk is batched by length inside). Default 256. */
  chunkSize?: number;
  /** Called after each chunk with the units translated so far and their total. */
  onProgress?: (unitsDone: number, unitsTotal: number) => void;
  /** Told of each unit the model had to shorten (maxSourceLength). */
  onWarning?: (warning: SubtitleWarning) => void;
  /** Return each translation with its word attention, for `split: 'attention'`. Default false. */
  alignments?: boolean;
}

/**
 * A {@link UnitTranslator} backed by a loaded model: `translateSentences` (beam search, batches by
 * length) over chunks of `chunkSize` units, so progress can be reported and an abort takes effect
 * between batches.
 *
 * @example
 * const translateUnits = modelTranslator(await loadModel('models/bible-es-en'), { beam: 5 });
 * const english = await translateDocument(spanishDoc, translateUnits);
 */
export function modelTranslator(
  translationModel: TranslationModel,
  options: ModelTranslatorOptions = {},
): UnitTranslator {
  const { chunkSize = 256, onProgress, onWarning, alignments = false, ...searchOptions } = options;
  return async (units, signal) => {
    const texts: Array<string | AlignedTranslation> = [];
    for (let first = 0; first < units.length; first += chunkSize) {
      const chunk = units.slice(first, first + chunkSize);
      const translations = await translateSentences(translationModel, chunk, {
        ...searchOptions,
        returnAttention: searchOptions.returnAttention || alignments,
        signal,
        onWarning:
          onWarning &&
          ((warning) => onWarning({ message: `sentence ${first + warning.index + 1}: ${warning.message}` })),
      });
      for (const translation of translations)
        texts.push(alignments ? alignedTranslation(translation) : translation.text);
      onProgress?.(texts.length, units.length);
    }
    if (units.length === 0) onProgress?.(0, 0);
    return texts;
  };
}

/** A translation with its word attention, when the search returned attention and pieces. */
export function alignedTranslation(translation: Translation): AlignedTranslation {
  const { text, attention, sourcePieces, targetPieces } = translation;
  if (!attention || !sourcePieces || !targetPieces) return { text };
  return { text, words: wordAttention(attention, sourcePieces, targetPieces) };
}

/** Options of {@link translateCues}: sentence merging, line limits, and search options for a model. */
export interface TranslateCuesOptions
  extends Omit<PrepareCuesOptions, 'onWarning'>, Omit<ModelTranslatorOptions, 'onProgress'> {
  /**
   * The format whose markup the cue texts carry (`vtt` texts may hold `&amp;` entities). Default
   * `srt`; cues from an ASS document keep `{\…}` overrides, which are masked in any format.
   */
  format?: SubtitleFormat;
}

/**
 * Translates one subtitle track: `Observable<Cue> → Observable<Cue>`. Sentences run across cues, so
 * the operator collects the track's cues until the source completes, translates the whole track
 * (tags masked, cues merged into sentences, translations split back over their cues, tags restored,
 * lines reflowed; see `subtitles/translateDocument.ts`) and then emits exactly as many cues as came
 * in, in order, each with its start and end time unchanged. Reflow and model warnings go to
 * `onWarning`.
 *
 * `translator` is a loaded model (decoded with `translateSentences` and the search options given
 * here: `beam`, `alpha`, `batchSize` …) or any {@link UnitTranslator}. Cold: nothing runs until
 * subscribed, and each subscription translates on its own. Unsubscribing drops the collected cues
 * and stops the model after its current batch.
 *
 * @example
 * const model = await loadModel('models/bible-es-en');
 * of('movie.mkv')
 *   .pipe(extractCues({ language: 'spa' }), translateCues(model, { beam: 5 }), writeSubtitles({ path: 'movie.eng.srt' }))
 *   .subscribe((path) => console.log('wrote', path));
 */
export function translateCues(
  translator: TranslationModel | UnitTranslator,
  options: TranslateCuesOptions = {},
): OperatorFunction<Cue, Cue> {
  const { format = 'srt', onWarning, ...rest } = options;
  const translateUnits =
    typeof translator === 'function'
      ? translator
      : modelTranslator(translator, {
          ...rest,
          alignments: rest.alignments ?? (rest.split ?? DEFAULT_SPLIT) === 'attention',
          onWarning,
        });
  return (source) =>
    new Observable<Cue>((subscriber) => {
      let cues: Cue[] = [];
      const controller = new AbortController();
      const sub = source.subscribe({
        next: (cue) => void cues.push(cue),
        error: (error: unknown) => subscriber.error(error),
        // The whole track is needed before the first cue can go out: its sentence may end later.
        complete: () => {
          const document = { format, cues };
          cues = [];
          translateDocument(document, (units) => translateUnits(units, controller.signal), {
            ...rest,
            onWarning,
          }).then(
            (translated) => {
              for (const cue of translated.cues) {
                if (subscriber.closed) return;
                subscriber.next(cue);
              }
              subscriber.complete();
            },
            // After an unsubscribe this is the INTERRUPTED rejection, which a closed subscriber drops.
            (error: unknown) => subscriber.error(error),
          );
        },
      });
      return () => {
        sub.unsubscribe();
        controller.abort();
        cues = [];
      };
    });
}
