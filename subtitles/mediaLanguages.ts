import { SubflowError } from '../errors.js';

/**
 * ISO 639-1 → ISO 639-2 for the languages subtitles commonly come in. Where 639-2 has a
 * bibliographic (B) and a terminological (T) code the B code comes first: Matroska and most
 * rippers write B codes (`ger`, `fre`, `chi`), MP4 files made by other tools often carry T codes.
 */
const ISO_639_1_TO_2: Record<string, readonly string[]> = {
  ar: ['ara'],
  bg: ['bul'],
  bn: ['ben'],
  ca: ['cat'],
  cs: ['cze', 'ces'],
  cy: ['wel', 'cym'],
  da: ['dan'],
  de: ['ger', 'deu'],
  el: ['gre', 'ell'],
  en: ['eng'],
  es: ['spa'],
  et: ['est'],
  eu: ['baq', 'eus'],
  fa: ['per', 'fas'],
  fi: ['fin'],
  fr: ['fre', 'fra'],
  ga: ['gle'],
  gl: ['glg'],
  he: ['heb'],
  hi: ['hin'],
  hr: ['hrv'],
  hu: ['hun'],
  hy: ['arm', 'hye'],
  id: ['ind'],
  is: ['ice', 'isl'],
  it: ['ita'],
  ja: ['jpn'],
  ka: ['geo', 'kat'],
  ko: ['kor'],
  lt: ['lit'],
  lv: ['lav'],
  mk: ['mac', 'mkd'],
  ms: ['may', 'msa'],
  nb: ['nob'],
  nl: ['dut', 'nld'],
  nn: ['nno'],
  no: ['nor'],
  pl: ['pol'],
  pt: ['por'],
  ro: ['rum', 'ron'],
  ru: ['rus'],
  sk: ['slo', 'slk'],
  sl: ['slv'],
  sq: ['alb', 'sqi'],
  sr: ['srp'],
  sv: ['swe'],
  ta: ['tam'],
  th: ['tha'],
  tr: ['tur'],
  uk: ['ukr'],
  ur: ['urd'],
  vi: ['vie'],
  zh: ['chi', 'zho'],
};

/** B ↔ T synonyms, so that `deu` also finds a stream tagged `ger`. */
const SYNONYMS = new Map<string, readonly string[]>(
  Object.values(ISO_639_1_TO_2)
    .filter((codes) => codes.length > 1)
    .flatMap((codes) => codes.map((code) => [code, codes] as const)),
);

/**
 * Every ISO 639-2 code a user's language tag may appear as in a media file: `es` → [`spa`],
 * `de`/`ger`/`deu` → [`ger`, `deu`]. Throws `BAD_ARGUMENT` for a tag that is neither a known
 * two-letter code nor three letters.
 */
export function iso6392Codes(tag: string, key = 'language'): readonly string[] {
  const lower = tag.trim().toLowerCase();
  if (/^[a-z]{2}$/.test(lower) && ISO_639_1_TO_2[lower]) return ISO_639_1_TO_2[lower];
  if (/^[a-z]{3}$/.test(lower)) return SYNONYMS.get(lower) ?? [lower];
  throw new SubflowError('BAD_ARGUMENT', `"${tag}" is not an ISO 639 language code`, {
    key,
    hint: 'use a three-letter ISO 639-2 code such as spa, eng, ger, or a two-letter one such as es, en, de',
  });
}

/** The one ISO 639-2 code to write into a file for a user's tag (`en` → `eng`, `de` → `ger`). */
export function toIso6392(tag: string, key = 'language'): string {
  return iso6392Codes(tag, key)[0];
}

/**
 * The ISO 639-1 code of a user's tag (`spa`, `es`, `ger`, `deu` → `es`, `es`, `de`, `de`), for what a
 * model records. Throws `BAD_ARGUMENT` for a tag that is no language, or one without a two-letter code.
 */
export function toIso6391(tag: string, key = 'language'): string {
  const codes = iso6392Codes(tag, key);
  const found = Object.entries(ISO_639_1_TO_2).find(([, forms]) => forms.includes(codes[0]));
  if (found) return found[0];
  throw new SubflowError('BAD_ARGUMENT', `"${tag}" has no ISO 639-1 code that subflow knows`, {
    key,
    hint: `use one of: ${Object.keys(ISO_639_1_TO_2).join(', ')}`,
  });
}

/** Whether a stream's language tag (as the file has it) is the requested language. */
export function languageMatches(streamLanguage: string | undefined, requested: readonly string[]): boolean {
  return streamLanguage !== undefined && requested.includes(streamLanguage.toLowerCase());
}
