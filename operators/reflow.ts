import { map, type OperatorFunction } from 'rxjs';
import type { Cue, SubtitleWarning } from '../subtitles/cue.js';
import { reflowText, type ReflowOptions } from '../subtitles/reflow.js';
import { visibleLength } from '../subtitles/tags.js';
import { formatSrtTimestamp } from '../subtitles/timestamp.js';
import { isNonSpeech } from '../subtitles/utterances.js';

/** Options for {@link reflow}. */
export interface ReflowCuesOptions extends ReflowOptions {
  /** Re-break every cue, even one whose lines already fit. Default false: fitting cues keep their breaks. */
  force?: boolean;
  /** Told of each cue that cannot fit the limits (its text is still kept whole). */
  onWarning?: (warning: SubtitleWarning) => void;
}

/**
 * Re-breaks cue lines to at most `maxLineLength` visible characters (tags not counted) and `maxLines`
 * lines, balanced, at word boundaries, one dialogue turn per line. Times and other fields are unchanged;
 * non-speech cues and cues that already fit are passed through as they are (unless `force`).
 *
 * @example
 * from(cues).pipe(reflow({ maxLineLength: 42, maxLines: 2 })).subscribe((cue) => console.log(cue.text));
 */
export function reflow(options: ReflowCuesOptions = {}): OperatorFunction<Cue, Cue> {
  const maxLineLength = options.maxLineLength ?? 42;
  const maxLines = options.maxLines ?? 2;
  const fits = (text: string): boolean => {
    const lines = text.split('\n');
    return lines.length <= maxLines && lines.every((line) => visibleLength(line) <= maxLineLength);
  };
  return map((cue) => {
    if (isNonSpeech(cue.text) || (!options.force && fits(cue.text))) return cue;
    const result = reflowText(cue.text, { maxLineLength, maxLines });
    if (result.warning)
      options.onWarning?.({ message: `cue at ${formatSrtTimestamp(cue.start)}: ${result.warning}` });
    return { ...cue, text: result.text };
  });
}
