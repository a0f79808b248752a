import { Observable, type OperatorFunction } from 'rxjs';
import type { Cue } from '../subtitles/cue.js';
import { SentenceSegmenter, type Segment, type SegmentOptions } from '../subtitles/segment.js';
import { stripTags } from '../subtitles/tags.js';
import { isNonSpeech, splitUtterances } from '../subtitles/utterances.js';

/**
 * Merges consecutive cues into sentences: sentence-final punctuation (Spanish `¿…?` `¡…!` included) ends
 * one, a trailing ellipsis continues into a next cue that starts with one or in lower case, and a
 * silence over `maxGapMs`, `maxCues` or `maxChars` ends one early. `Segment.cueIndices` are positions in
 * this stream (0-based); `text` is the cues' text without tags. Non-speech cues (`[door slams]`, `♪ …`) and
 * dialogue cues (`- Hi.\n- Hello.`) come out as segments of their own and never merge, so every cue
 * appears in exactly one segment. Split a translated segment back with `splitTranslation`; the
 * `translateCues` stage does all of this plus tag restoring (see `subtitles/translateDocument.ts`).
 *
 * @example
 * from(cues).pipe(segmentSentences({ maxGapMs: 1500 })).subscribe((s) => console.log(s.cueIndices, s.text));
 */
export function segmentSentences(options: SegmentOptions = {}): OperatorFunction<Cue, Segment> {
  return (source) =>
    new Observable<Segment>((subscriber) => {
      const segmenter = new SentenceSegmenter(options);
      let index = 0;
      const sub = source.subscribe({
        next: (cue) => {
          const standalone =
            isNonSpeech(cue.text) || splitUtterances(cue.text).some((turn) => turn.dash !== '');
          const item = {
            index: index++,
            start: cue.start,
            end: cue.end,
            text: stripTags(cue.text),
            standalone,
          };
          for (const segment of segmenter.push(item)) subscriber.next(segment);
        },
        error: (error: unknown) => subscriber.error(error),
        // Flush before completing, or the last sentence (one without a final full stop) is lost.
        complete: () => {
          for (const segment of segmenter.flush()) subscriber.next(segment);
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
