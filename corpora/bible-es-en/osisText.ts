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
 * Accented words that are not verbs (`éste le dijo`, `sólo la palabra`, `¡cuánto nos amó!`): stressed
 * like an enclitic verb form, but a following pronoun is a separate word.
 */
const ACCENTED_NON_VERBS = new Set([
  'éste',
  'ésta',
  'éstos',
  'éstas',
  'ése',
  'ésa',
  'ésos',
  'ésas',
  'aquél',
  'aquélla',
  'sólo',
  'cuánto',
  'cuánta',
  'cuántos',
  'cuántas',
  'cómo',
  'dónde',
  'cuándo',
  'también',
]);

/**
 * A written accent on the next-to-last syllable of a word ending in a vowel, n or s (`sáca`, `posée`,
 * `repartiéron`): Spanish spelling only puts it there when a clitic follows (`sácalo`, `poséela`).
 */
const ENCLITIC_STRESS = /[áéíóú][^aeiouáéíóú]*[aeiou][ns]?$/i;

/** Infinitives and `vosotros` imperatives, which Spanish writes together with their clitics. */
const VERB_TAKING_CLITIC = /(?:[aeií]r|[aei]d)$/i;

/**
 * The join rule for the Spanish module: the markup splits enclitic pronouns off their verb
 * (`<w>sáca</w><transChange>lo</transChange>`), so a verb and a clitic that touch are one word when that
 * word occurs elsewhere in the text (`knownWords`, lower-cased), the verb is an infinitive or a
 * `vosotros` imperative (`pagarla`, `selladlo`), or its accent only makes sense with a clitic
 * (`protéstolo`). Everything else that touches (`<w>hay allí</w><transChange>también</transChange>`,
 * `<w>Josué</w><transChange>los</transChange>`) gets a space.
 */
export function spanishCliticJoin(knownWords: ReadonlySet<string>): JoinAcrossMarkup {
  return (left, right) => {
    if (!SPANISH_CLITICS.has(right.toLowerCase()) || ACCENTED_NON_VERBS.has(left.toLowerCase())) return false;
    return (
      knownWords.has((left + right).toLowerCase()) ||
      VERB_TAKING_CLITIC.test(left) ||
      ENCLITIC_STRESS.test(left)
    );
  };
}
