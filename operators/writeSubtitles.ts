import { Observable, type OperatorFunction } from 'rxjs';
import type { Cue, SubtitleDocument, SubtitleFormat } from '../subtitles/cue.js';
import { formatFromFileName } from '../subtitles/formats.js';
import { writeSubtitleFile } from '../subtitles/writeSubtitleFile.js';

/** Options for {@link writeSubtitles}. */
export interface WriteSubtitlesOptions {
  /** Output file. */
  path: string;
  /** Output format; default: from the path's extension. */
  format?: SubtitleFormat;
  /** Start the file with a UTF-8 BOM. Default false. */
  bom?: boolean;
  /** Input paths; writing over one of them is refused with `OUTPUT_IS_INPUT`. */
  inputs?: readonly string[];
  /**
   * The source document the cues came from (cues are ignored): its format says what markup the cue
   * texts carry (ASS overrides are converted for an SRT output), and its header and trailer (ASS styles,
   * WebVTT STYLE blocks) are kept when writing the same format. Default: cues already in the output format.
   */
  template?: Omit<SubtitleDocument, 'cues'>;
}

/**
 * Collects cues and, when the stream completes, writes them as one subtitle file (UTF-8, temp file in the
 * target folder renamed into place), then emits the absolute path written. Unsubscribing before that
 * leaves nothing under `path`. Errors: `OUTPUT_IS_INPUT`, `OUTPUT_NOT_WRITABLE`.
 *
 * @example
 * from(cues).pipe(reflow(), writeSubtitles({ path: 'movie.en.srt', inputs: ['movie.es.srt'] })).subscribe(console.log);
 */
export function writeSubtitles(options: WriteSubtitlesOptions): OperatorFunction<Cue, string> {
  const format = options.format ?? formatFromFileName(options.path);
  return (source) =>
    new Observable<string>((subscriber) => {
      const cues: Cue[] = [];
      const controller = new AbortController();
      const sub = source.subscribe({
        next: (cue) => void cues.push(cue),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          const document: SubtitleDocument = {
            format: options.template?.format ?? format ?? 'srt',
            ...options.template,
            cues,
          };
          writeSubtitleFile(options.path, document, {
            format,
            bom: options.bom,
            inputs: options.inputs,
            signal: controller.signal,
          }).then(
            (written) => {
              subscriber.next(written);
              subscriber.complete();
            },
            (error: unknown) => subscriber.error(error),
          );
        },
      });
      return () => {
        sub.unsubscribe();
        controller.abort();
        cues.length = 0;
      };
    });
}
