import { map, type OperatorFunction } from 'rxjs';
import type { Cue, SubtitleWarning } from '../subtitles/cue.js';
import { reflowCueText, type ReflowCueOptions } from '../subtitles/reflow.js';
import { formatSrtTimestamp } from '../subtitles/timestamp.js';

/** Options for {@link reflow}. */
export interface ReflowCuesOptions extends ReflowCueOptions {
  /** Told of each cue that cannot fit the limits (its text is still kept whole). */
  onWarning?: (warning: SubtitleWarning) => void;
}

/**
 * Re-breaks cue lines to at most `maxLineLength` visible characters (tags not counted) and `maxLines`
 * lines, balanced, at word boundaries, one dialogue turn per line, by the one rule of
 * `subtitles/reflow.ts` (`reflowCueText`): non-speech cues and cues that already fit pass through as
 * they are (unless `force`). Times and other fields are unchanged. `translateCues` already reflows
 * what it translates; this operator is for cues from anywhere else.
 *
 * @example
 * from(cues).pipe(reflow({ maxLineLength: 32, maxLines: 2 })).subscribe((cue) => console.log(cue.text));
 */
export function reflow(options: ReflowCuesOptions = {}): OperatorFunction<Cue, Cue> {
  return map((cue) => {
    const result = reflowCueText(cue.text, options);
    if (result.warning)
      options.onWarning?.({ message: `cue at ${formatSrtTimestamp(cue.start)}: ${result.warning}` });
    return result.text === cue.text ? cue : { ...cue, text: result.text };
  });
}
