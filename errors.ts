/** Stable error codes: scripts and tests match on these, so never rename one. */
export type SubflowErrorCode =
  | 'BAD_ARGUMENT'
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'OUTPUT_NOT_WRITABLE'
  | 'OUTPUT_IS_INPUT'
  | 'CORPUS_MISALIGNED'
  | 'CORPUS_EMPTY'
  | 'CORPUS_BAD_LINE'
  | 'INVALID_UTF8'
  | 'TOOL_MISSING'
  | 'TOOL_FAILED'
  | 'TOKENIZER_INVALID'
  | 'BACKEND_UNAVAILABLE'
  | 'MODEL_INVALID'
  | 'MODEL_MISMATCH'
  | 'CHECKPOINT_CORRUPT'
  | 'SUBTITLE_PARSE'
  | 'SUBTITLE_NO_CUES'
  | 'SUBTITLE_BINARY'
  | 'SUBTITLE_NO_STREAM'
  | 'SUBTITLE_BITMAP'
  | 'MEDIA_INVALID'
  | 'REMOTE_FAILED'
  | 'REDIS_UNAVAILABLE'
  | 'INTERRUPTED';

export interface SubflowErrorDetails {
  /** What the user can do about it, printed after the message. */
  hint?: string;
  /** The underlying error, kept for `--debug`. */
  cause?: unknown;
  /** Where it happened, when that is a file. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** Dotted config key path, e.g. `stages[2].maxTokens`. */
  key?: string;
}

/**
 * The one error type subflow throws for anything a user can fix: a stable `code`, a message that
 * names the file, line, key or stream, and a hint saying what to do.
 */
export class SubflowError extends Error {
  readonly code: SubflowErrorCode;
  readonly hint?: string;
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;

  constructor(code: SubflowErrorCode, message: string, details: SubflowErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SubflowError';
    this.code = code;
    this.hint = details.hint;
    this.file = details.file;
    this.line = details.line;
    this.key = details.key;
  }

  /** The message followed by the hint, as the CLI prints it. */
  toUserString(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** True for a SubflowError, optionally of one code. */
export function isSubflowError(error: unknown, code?: SubflowErrorCode): error is SubflowError {
  return error instanceof SubflowError && (code === undefined || error.code === code);
}
