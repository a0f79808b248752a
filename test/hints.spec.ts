// Every hint and message in the source that names a file of the repository, or quotes a config
// snippet, is checked: the file exists, and the snippet is a stage entry the config schema accepts.
// The strings are found by reading the source, so hints written later are covered too.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseConfig } from '../pipeline/config.js';
import '../pipeline/stages/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Stands for a `${…}` substitution of a template literal. */
const HOLE = '\u0000';
/** Folders whose files are not the product's source (tests may name files that do not exist; runs/ is what training writes). */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'build', 'test', 'runs']);

const topFolders = readdirSync(root).filter(
  (name) => !name.startsWith('.') && !NOT_SOURCE.has(name) && statSync(join(root, name)).isDirectory(),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name.startsWith('.') || NOT_SOURCE.has(name)) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

interface SourceString {
  /** `file:line`, for messages. */
  at: string;
  /** The string's text, each `${…}` replaced by HOLE. */
  text: string;
}

/** Every string and template literal of a file, module specifiers left out. */
function stringsOf(file: string): SourceString[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: SourceString[] = [];
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node))
      text = node.head.text + node.templateSpans.map((span) => HOLE + span.literal.text).join('');
    const specifier =
      node.parent !== undefined &&
      (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent));
    if (text !== undefined && !specifier) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push({ at: `${relative(root, file)}:${line}`, text });
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(source, visit);
  return found;
}

const strings = [
  ...topFolders.flatMap((folder) => sourceFiles(join(root, folder))),
  ...readdirSync(root)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(root, name)),
].flatMap(stringsOf);

/** `config/toy.yaml`, `models/` …: a path starting with a folder of the repository. */
const REPO_PATH = new RegExp(`(?<![\\w./\\-${HOLE}])(?:${topFolders.join('|')})/[\\w.\\-/]*`, 'g');
/** A media type such as `text/plain` or `text/x-ssa` (HTTP content types), which only looks like a path. */
const MEDIA_TYPE = /^text\/(?:plain|html|css|csv|srt|vtt|x-ssa|x-ass|x-subrip)$/;
/** A quoted YAML key-value snippet: `"- clean: { maxLength: 100 }"`. */
const QUOTED_SNIPPET = /["`]([^"`]*:\s[^"`]*)["`]/g;
/** What makes a quoted string a config snippet: it starts like a YAML entry (`- read:`, `train:`). */
const YAML_ENTRY = new RegExp(`^-?\\s*[\\w${HOLE}]+:\\s`);

describe('hints and messages', () => {
  it('find the strings of the source (the scan itself works)', () => {
    expect(strings.length).to.be.above(500);
    expect(strings.some((s) => s.text.includes('ready-made configs are in the config/ folder'))).to.equal(
      true,
    );
  });

  it('name only files and folders the repository has', () => {
    const missing: string[] = [];
    for (const { at, text } of strings) {
      for (const [path] of text.matchAll(REPO_PATH)) {
        const trimmed = path.replace(/[.,;:)]+$/, '');
        if (MEDIA_TYPE.test(trimmed)) continue;
        if (!existsSync(join(root, trimmed))) missing.push(`${at}: ${trimmed}`);
      }
    }
    expect(missing, 'paths named in the source that do not exist').to.deep.equal([]);
  });

  it('quote only config snippets that are whole stage entries the config schema accepts', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { at, text } of strings) {
      for (const [, snippet] of text.matchAll(QUOTED_SNIPPET)) {
        if (!YAML_ENTRY.test(snippet)) continue;
        if (snippet.includes(HOLE)) {
          problems.push(
            `${at}: "${snippet}" has a \${…} inside; write each snippet out so it can be checked`,
          );
          continue;
        }
        if (!snippet.startsWith('- ')) {
          problems.push(`${at}: "${snippet}" is not a whole stage entry ("- stage: { … }")`);
          continue;
        }
        checked += 1;
        // "…" stands for any value the user fills in; a file name fits every place it is used.
        const yaml = `stages:\n  ${snippet.replaceAll('…', 'corpus.txt')}\n`;
        try {
          parseConfig(yaml, `${at} (hint)`);
        } catch (error) {
          problems.push(`${at}: "${snippet}" is rejected: ${(error as Error).message}`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
    expect(checked, 'config snippets found').to.be.above(0);
  });
});
