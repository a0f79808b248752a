import cliProgress from 'cli-progress';
import { isSubflowError } from '../errors.js';
import type { SubtitleWarning } from '../subtitles/cue.js';

/** What `subflow translate` shows on stderr while it works through its files. */
export interface JobsReporter {
  fileStarted(position: number, path: string): void;
  /** Which subtitle stream of the current video is translated, and why (always shown). */
  stream?(description: string): void;
  /** The current file's track holds this many cues. */
  cues(count: number): void;
  /** Translation progress within the current file, in units (sentences). */
  units(done: number, total: number): void;
  warning(warning: SubtitleWarning): void;
  fileDone(outputs: readonly string[], cues: number, seconds: number): void;
  /** The current file was left alone: its outputs exist (`--skip-existing`). */
  fileSkipped(outputs: readonly string[]): void;
  fileFailed(path: string, error: unknown): void;
  /** Removes the bar; later output goes to plain lines. */
  stop(): void;
}

/** Options of {@link createJobsReporter}. */
export interface JobsReporterOptions {
  fileCount: number;
  /** A live bar (stderr is a terminal) or plain log lines. */
  interactive: boolean;
  /** Writes one line to stderr. */
  log: (line: string) => void;
  /** Warnings printed per file before the rest are only counted. Default 5. */
  warningsPerFile?: number;
  /** Plain mode: a progress line at most this often within a file. Default 30 s. */
  logIntervalMs?: number;
}

/** The message of a failure as the CLI prints it (SubflowError message and hint, else the error's message). */
export function describeFailure(error: unknown): string {
  if (isSubflowError(error)) return error.toUserString();
  return `internal error: ${(error as Error)?.message ?? String(error)}`;
}

/**
 * A reporter over files and cues: with `interactive`, one cli-progress bar (files done plus the share
 * of the current file's sentences translated) with notes printed above it; otherwise a line per
 * file event and a progress line every `logIntervalMs`.
 */
export function createJobsReporter(options: JobsReporterOptions): JobsReporter {
  const { fileCount, log } = options;
  const warningsPerFile = options.warningsPerFile ?? 5;
  const logIntervalMs = options.logIntervalMs ?? 30_000;
  const bar = options.interactive
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format:
            'translate |{bar}| {percentage}% | file {position}/{files} {name} | cues {cuesDone}/{cues} | {duration_formatted}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let position = 0;
  let name = '';
  let cueCount = 0;
  let share = 0;
  let warnings = 0;
  let lastLog = 0;
  let barStarted = false;

  const payload = () => ({
    position,
    files: fileCount,
    name,
    cues: cueCount,
    cuesDone: Math.round(share * cueCount),
  });
  const redraw = () => {
    if (!bar) return;
    const value = position - 1 + share;
    if (!barStarted) {
      bar.start(fileCount, value, payload());
      barStarted = true;
    } else bar.update(value, payload());
  };
  // On a terminal the note clears the bar's line; the bar redraws itself below it.
  const note = (line: string) => {
    if (bar && barStarted) {
      process.stderr.write(`\r\x1b[K${line}\n`);
      redraw();
    } else log(line);
  };
  const prefix = () => `[${position}/${fileCount}] ${name}`;

  return {
    fileStarted(at, path) {
      position = at;
      name = path;
      cueCount = 0;
      share = 0;
      warnings = 0;
      lastLog = Date.now();
      if (bar) redraw();
      else log(`translate: ${prefix()}`);
    },
    stream(description) {
      note(`translate: ${prefix()}: ${description}`);
    },
    cues(count) {
      cueCount = count;
      if (bar) redraw();
      else log(`translate: ${prefix()}: ${count} cues`);
    },
    units(done, total) {
      share = total === 0 ? 1 : done / total;
      if (bar) redraw();
      else if (Date.now() - lastLog >= logIntervalMs && done < total) {
        lastLog = Date.now();
        log(`translate: ${prefix()}: ${Math.round(share * 100)}% translated`);
      }
    },
    warning(warning) {
      warnings += 1;
      const where = warning.line !== undefined ? `line ${warning.line}: ` : '';
      if (warnings <= warningsPerFile) note(`translate: ${prefix()}: warning: ${where}${warning.message}`);
      else if (warnings === warningsPerFile + 1)
        note(`translate: ${prefix()}: more warnings follow; only their number is reported`);
    },
    fileDone(outputs, cues, seconds) {
      share = 1;
      const hidden = warnings > warningsPerFile ? `, ${warnings} warnings in all` : '';
      note(`translate: ${prefix()}: ${cues} cues → ${outputs.join(', ')} (${seconds.toFixed(1)} s${hidden})`);
    },
    fileSkipped(outputs) {
      share = 1;
      note(`translate: ${prefix()}: skipped, outputs exist: ${outputs.join(', ')}`);
    },
    fileFailed(path, error) {
      share = 1;
      note(`translate: [${position}/${fileCount}] ${path} FAILED: ${describeFailure(error)}`);
    },
    stop() {
      if (bar && barStarted) bar.stop();
      barStarted = false;
    },
  };
}
