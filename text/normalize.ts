/**
 * Every kind of whitespace a corpus or subtitle file brings in: ASCII space and controls (tab, line
 * breaks, vertical tab, form feed, the C0 separators U+001C–U+001F, NEL U+0085), no-break spaces
 * (U+00A0, U+202F), the typographic spaces U+2000–U+200A, ideographic space U+3000, Ogham space
 * mark U+1680, line/paragraph separators U+2028/U+2029 and the math space U+205F.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANY_WHITESPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

/**
 * Characters that take up no room in the text and carry no word: C0/C1 controls left after the
 * whitespace pass, DEL, the soft hyphen U+00AD, the zero-width space U+200B, the word joiner U+2060
 * and the invisible operators U+2061–U+2064, the BOM / zero-width no-break space U+FEFF, the
 * direction marks U+200E/U+200F and the bidi embedding/isolate controls (U+202A–U+202E,
 * U+2066–U+2069). ZWJ (U+200D) and ZWNJ (U+200C) are kept: they change how emoji sequences and
 * Persian or Indic words are spelled, so removing them would change the text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\x00-\x1f\x7f-\x9f\xad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Whitespace controls must become spaces before the invisible-character pass deletes the other
 * controls, or `a\tb` would turn into `ab`; this is the subset of ANY_WHITESPACE inside INVISIBLE.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE_BUT_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f\x85]/g;

/**
 * Normalises one line of natural-language text before it is tokenised or scored:
 * invisible characters removed, every whitespace run (tabs, NBSP, thin spaces, line breaks …) turned
 * into one ASCII space, ends trimmed, then Unicode NFC.
 *
 * Why: the same sentence arrives from corpora, subtitle files and user input with different byte
 * spellings — decomposed accents (`e` + U+0301 vs `é`), NBSP before French punctuation, a BOM or a
 * zero-width space pasted from the web. Without this, SentencePiece learns separate pieces for
 * spellings a reader cannot tell apart, vocabulary is wasted, and BLEU counts equal words as
 * different. Case, punctuation and letters are never changed (that is the model's job), and NFC —
 * not NFKC — is used so that characters like `ﬁ` or `²` keep their meaning. NFC runs last because
 * removing an invisible character can bring a base letter next to its combining accent.
 *
 * @example normalizeText('  ¿Qué\u00a0tal?\tBien\u200b. ') // → '¿Qué tal? Bien.'
 */
export function normalizeText(text: string): string {
  return text
    .replace(INVISIBLE_BUT_WHITESPACE, ' ')
    .replace(INVISIBLE, '')
    .replace(ANY_WHITESPACE, ' ')
    .trim()
    .normalize('NFC');
}
