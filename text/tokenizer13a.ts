import { splitWords } from './metricsInternals.js';

/**
 * sacreBLEU's `tokenizer_re` rules (the language-dependent part of mteval-v13a.pl), applied in order
 * with Python `re.sub` semantics, which global JavaScript `replace` shares (non-overlapping, left to
 * right).
 */
const RULES: readonly [RegExp, string][] = [
  // ASCII symbols and punctuation except `'`, `,`, `-`, `.`: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // period and comma, unless preceded by a digit
  [/([^0-9])([.,])/g, '$1 $2 '],
  // period and comma, unless followed by a digit
  [/([.,])([^0-9])/g, ' $1 $2'],
  // dash, when preceded by a digit
  [/([0-9])(-)/g, '$1 $2 '],
];

/**
 * The `13a` tokenizer of sacreBLEU (mteval-v13a.pl, the WMT standard), returning the tokens.
 * Unescapes the four XML entities mteval knows, drops `<skipped>`, joins hyphenated line breaks,
 * then splits off punctuation and symbols (but keeps `3.5`, `1,000` and `don't` intact).
 *
 * @example tokenize13a('It wasn\'t 3.5%, "no"!') // → ['It', "wasn't", '3.5', '%', ',', '"', 'no', '"', '!']
 */
export function tokenize13a(line: string): string[] {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  text = ` ${text} `;
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  return splitWords(text);
}
