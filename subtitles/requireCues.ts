import { isSubflowError, SubflowError } from '../errors.js';
import type { SubtitleFormat, SubtitleParseOptions, SubtitleParseResult } from './cue.js';
import type { DecodedSubtitles } from './encoding.js';
import { parseSubtitles } from './formats.js';
import { splitLines } from './parseIssues.js';
import { readTimingLine } from './timestamp.js';

/**
 * Parses decoded subtitle text and refuses a result without cues: translating nothing and writing
 * an empty file would report success for work that did not happen. A file that has no cues at all
 * gets that reason even with `strict`, which would otherwise name only its first odd line.
 * @throws SubflowError SUBTITLE_NO_CUES ("no cues found in X: why"), SUBTITLE_PARSE (strict)
 */
export function parseRequiringCues(
  decoded: DecodedSubtitles,
  format: SubtitleFormat,
  options: SubtitleParseOptions & { file: string },
): SubtitleParseResult {
  let parsed: SubtitleParseResult;
  try {
    parsed = parseSubtitles(decoded.text, format, options);
  } catch (error) {
    if (!isSubflowError(error, 'SUBTITLE_PARSE') || !options.strict) throw error;
    if (parseSubtitles(decoded.text, format, { file: options.file }).document.cues.length > 0) throw error;
    throw noCues(decoded, format, options.file);
  }
  if (parsed.document.cues.length === 0) throw noCues(decoded, format, options.file);
  return parsed;
}

function noCues(decoded: DecodedSubtitles, format: SubtitleFormat, file: string): SubflowError {
  return new SubflowError('SUBTITLE_NO_CUES', `no cues found in ${file}: ${whyNoCues(decoded, format)}`, {
    file,
    hint: 'check that this is the subtitle file you meant; `subflow inspect FILE` shows what was read',
  });
}

/** Why a text holds no cue, in the terms of its format. */
export function whyNoCues(decoded: DecodedSubtitles, format: SubtitleFormat): string {
  const { text } = decoded;
  if (text === '') return decoded.hadBom ? 'the file holds only a byte order mark' : 'the file is empty';
  if (text.trim() === '') return 'the file holds only blank lines';
  const lines = splitLines(text);
  const first = (found: number): string => `line ${found + 1}: ${JSON.stringify(lines[found].slice(0, 60))}`;
  if (format === 'ass') {
    const events = lines.findIndex((line) => /^\s*\[Events\]\s*$/i.test(line));
    const dialogues = lines.flatMap((line, k) => (/^Dialogue:/.test(line) ? [k] : []));
    if (events < 0)
      return dialogues.length === 0
        ? 'it has no [Events] section, where ASS keeps its Dialogue lines'
        : `its ${dialogues.length} Dialogue line(s) are not in an [Events] section`;
    const inEvents = dialogues.filter((k) => k > events);
    if (inEvents.length === 0) return 'its [Events] section has no Dialogue lines';
    return `none of its ${inEvents.length} Dialogue line(s) could be read (${first(inEvents[0])})`;
  }
  const timings = lines.flatMap((line, k) =>
    line.includes('-->') || readTimingLine(line, format) !== undefined ? [k] : [],
  );
  if (timings.length === 0) {
    return format === 'srt'
      ? 'it has no timing line (00:00:01,000 --> 00:00:02,000)'
      : 'it has no cue blocks (no timing line such as 00:00:01.000 --> 00:00:02.000)';
  }
  return `the timing line of ${timings.length} cue(s) could not be read (${first(timings[0])})`;
}
