import { execFileSync } from 'node:child_process';
import { SubflowError } from '../../errors.js';

/** One verse of a SWORD module as `mod2imp` exports it, markup still in place. */
export interface RawVerse {
  /** Book name as SWORD prints it, e.g. `I Samuel`, `Revelation of John`. */
  book: string;
  chapter: number;
  verse: number;
  /** OSIS markup of the verse; empty when the module has no text there. */
  markup: string;
}

/** `Book 3:16` — the key verses are joined on; both modules use the same English book names. */
export function verseKey(book: string, chapter: number, verse: number): string {
  return `${book} ${chapter}:${verse}`;
}

const ENTRY_HEADER = /^\$\$\$(.+) (\d+):(\d+)$/;

/**
 * Parses `mod2imp` output (`$$$Book C:V` header lines, each followed by the entry's markup) into verses
 * in module order. Headings (`$$$[ Module Heading ]`), book and chapter introductions (verse 0) are
 * skipped: they have no counterpart in the other language.
 */
export function parseImp(text: string): RawVerse[] {
  const verses: RawVerse[] = [];
  let current: RawVerse | undefined;
  const lines: string[] = [];
  const flush = (): void => {
    if (current) verses.push({ ...current, markup: lines.join('\n').trim() });
    current = undefined;
    lines.length = 0;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('$$$')) {
      flush();
      const match = ENTRY_HEADER.exec(line);
      if (match && Number(match[3]) > 0) {
        current = { book: match[1], chapter: Number(match[2]), verse: Number(match[3]), markup: '' };
      }
    } else if (current) {
      lines.push(line);
    }
  }
  flush();
  return verses;
}

/**
 * Exports an installed SWORD module with `mod2imp` and parses it.
 * @throws SubflowError TOOL_MISSING when `mod2imp` is not installed, TOOL_FAILED when the module is not.
 */
export function exportModule(moduleName: string): RawVerse[] {
  let text: string;
  try {
    text = execFileSync('mod2imp', [moduleName], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SubflowError(
      missing ? 'TOOL_MISSING' : 'TOOL_FAILED',
      missing ? 'mod2imp is not installed' : `mod2imp could not export the SWORD module ${moduleName}`,
      {
        hint: 'run `bash scripts/setup.sh --with-corpus-tools` to install the SWORD tools and modules',
        cause: error,
      },
    );
  }
  const verses = parseImp(text);
  if (verses.length === 0) {
    throw new SubflowError('TOOL_FAILED', `mod2imp printed no verses for the SWORD module ${moduleName}`, {
      hint: 'run `bash scripts/setup.sh --with-corpus-tools` to install the SWORD modules',
    });
  }
  return verses;
}
