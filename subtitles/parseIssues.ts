import { SubflowError } from '../errors.js';
import type { SubtitleParseOptions, SubtitleWarning } from './cue.js';

/** Collects parse warnings, or throws on the first one in strict mode. */
export interface IssueReporter {
  readonly warnings: SubtitleWarning[];
  /**
   * Report a problem at a 1-based line; throws `SUBTITLE_PARSE` when the parse is strict. `outcome`
   * says what the lenient parse did about it ("cue skipped", "read as 00:00:01,000") and is left out
   * of the strict error, which did nothing of the kind.
   */
  warn(line: number, problem: string, outcome?: string): void;
}

/** An {@link IssueReporter} for one parse of `options.file`. */
export function createIssueReporter(options: SubtitleParseOptions = {}): IssueReporter {
  const warnings: SubtitleWarning[] = [];
  const file = options.file;
  return {
    warnings,
    warn(line, problem, outcome) {
      if (options.strict) {
        throw new SubflowError('SUBTITLE_PARSE', `${file ?? '<subtitles>'}:${line}: ${problem}`, {
          file,
          line,
          hint: 'fix the file, or parse without --strict to accept it with warnings',
        });
      }
      const message = outcome === undefined ? problem : `${problem}; ${outcome}`;
      warnings.push(file === undefined ? { line, message } : { line, message, file });
    },
  };
}

/** Splits text into lines on CRLF, CR or LF after dropping a leading byte order mark. */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
}
