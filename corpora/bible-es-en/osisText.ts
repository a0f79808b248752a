/**
 * Elements whose content is not verse text: footnotes (with their references, alternate readings and
 * catch words), section headings, Song of Songs speaker labels. A `<title canonical="true">` is kept:
 * it is a psalm superscription, which the Spanish prints as part of verse 1 too.
 */
const DROPPED_ELEMENTS = new Set(['note', 'title', 'speaker']);

const TAG = /<(\/?)([A-Za-z]+)([^>]*?)(\/?)>/g;
const LETTER_AT_END = /\p{L}$/u;
const LETTER_AT_START = /^\p{L}/u;

/**
 * Decides whether two words that touch across markup (`<w>sáca</w><transChange>lo</transChange>`) are
 * one word. Returning false inserts a space, which is the right call almost always: the modules often
 * lose the space between two elements.
 */
export type JoinAcrossMarkup = (leftWord: string, rightWord: string) => boolean;

const neverJoin: JoinAcrossMarkup = () => false;

/**
 * Plain text of one verse's OSIS markup: tags removed, dropped elements' content removed, words that
 * touch across removed tags separated unless `join` says they are one word, whitespace collapsed, NFC.
 */
export function osisToText(markup: string, join: JoinAcrossMarkup = neverJoin): string {
  const openElements: { name: string; dropped: boolean }[] = [];
  let droppedDepth = 0;
  let out = '';
  let atJunction = false;
  let position = 0;
  const appendText = (text: string): void => {
    if (droppedDepth > 0 || text.length === 0) return;
    if (atJunction && LETTER_AT_END.test(out) && LETTER_AT_START.test(text)) {
      const left = /\p{L}+$/u.exec(out)?.[0] ?? '';
      const right = /^\p{L}+/u.exec(text)?.[0] ?? '';
      if (!join(left, right)) out += ' ';
    }
    out += text;
    atJunction = false;
  };
  for (const match of markup.matchAll(TAG)) {
    appendText(decodeEntities(markup.slice(position, match.index)));
    position = match.index + match[0].length;
    atJunction = true;
    const [, closing, name, attributes, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) {
      const open = openElements.pop();
      if (open?.dropped) droppedDepth--;
      continue;
    }
    const dropped = DROPPED_ELEMENTS.has(name) && !(name === 'title' && /canonical="true"/.test(attributes));
    openElements.push({ name, dropped });
    if (dropped) droppedDepth++;
  }
  appendText(decodeEntities(markup.slice(position)));
  return out.replace(/\s+/g, ' ').trim().normalize('NFC');
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Spanish object pronouns that RV1909 attaches to verbs (`sácalo`, `díjole`, `pagarla`). */
const SPANISH_CLITICS = new Set(['lo', 'la', 'los', 'las', 'le', 'les', 'se', 'me', 'te', 'nos', 'os']);

/**
 * The join rule for the Spanish module: the markup splits enclitic pronouns off their verb
 * (`<w>sáca</w><transChange>lo</transChange>`), so a verb and a clitic that touch are one word when that
 * word occurs elsewhere in the text (`knownWords`, lower-cased) or the verb is an infinitive (`pagarla`).
 * Everything else that touches (`<w>hay allí</w><transChange>también</transChange>`) gets a space.
 */
export function spanishCliticJoin(knownWords: ReadonlySet<string>): JoinAcrossMarkup {
  return (left, right) => {
    if (!SPANISH_CLITICS.has(right.toLowerCase())) return false;
    return knownWords.has((left + right).toLowerCase()) || /[aeií]r$/i.test(left);
  };
}
