import { concatMap, Observable, type OperatorFunction } from 'rxjs';
import type { Cue, SubtitleWarning } from '../subtitles/cue.js';
import { extractSubtitleStream } from '../subtitles/media.js';

/** Options for {@link extractCues}: which track to take from each video. */
export interface ExtractCuesOptions {
  /** ffmpeg's absolute stream index (as `subflow inspect` lists it). Wins over `language`. */
  stream?: number;
  /** ISO 639-2 (`spa`) or 639-1 (`es`) code of the wanted track. Default: the only or default text track. */
  language?: string;
  /** Refuse a malformed track instead of working around it. Default false. */
  strict?: boolean;
  /** Told of each problem a lenient parse worked around. */
  onWarning?: (warning: SubtitleWarning) => void;
}

/**
 * Turns video file paths into the cues of one text subtitle track each, file after file, in order.
 * Lazy: nothing runs until subscription. Unsubscribing kills the running ffprobe/ffmpeg.
 * Errors are `SubflowError`s from `extractSubtitleStream` (no stream, bitmap only, corrupt file…).
 *
 * @example
 * of('movie.mkv').pipe(extractCues({ language: 'spa' })).subscribe((cue) => console.log(cue.start, cue.text));
 */
export function extractCues(options: ExtractCuesOptions = {}): OperatorFunction<string, Cue> {
  return (source) => source.pipe(concatMap((file) => cuesOf(file, options)));
}

function cuesOf(file: string, options: ExtractCuesOptions): Observable<Cue> {
  return new Observable<Cue>((subscriber) => {
    const controller = new AbortController();
    extractSubtitleStream(file, { ...options, signal: controller.signal }).then(
      (document) => {
        for (const cue of document.cues) {
          if (subscriber.closed) return;
          subscriber.next(cue);
        }
        subscriber.complete();
      },
      // After an unsubscribe this is the INTERRUPTED rejection, which a closed subscriber drops.
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort();
  });
}
