import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SUBJECTS = ['El niño', 'La señora Núñez', 'Él', 'Ángela', 'Los pingüinos', 'Óscar', 'Úrsula', 'Íñigo'];
const VERBS = ['canta', 'comió', 'está en', 'leyó', 'pidió', 'vio', 'quería', 'compró'];
const OBJECTS = [
  'la canción',
  'el corazón',
  'un café',
  'el año 2024',
  'la guía',
  'más de 15 libros',
  'el camión',
];
const ENDINGS = ['.', '!', '?', ', ¿no?', '; ¡qué bien!', ' «de verdad».', ' (dijo: 3,5 €).'];

/**
 * Deterministic Spanish sentences with accents, ñ, ü, inverted marks, guillemets, digits and mixed
 * case, so a tiny SentencePiece model covers every character the tests encode.
 */
export function spanishSentences(count: number): string[] {
  const sentences: string[] = [];
  for (let i = 0; i < count; i++) {
    const subject = SUBJECTS[i % SUBJECTS.length];
    const verb = VERBS[(i * 7 + 3) % VERBS.length];
    const object = OBJECTS[(i * 5 + 1) % OBJECTS.length];
    const ending = ENDINGS[(i * 3 + 2) % ENDINGS.length];
    const opening = ending === '?' ? '¿' : ending === '!' ? '¡' : '';
    const sentence = `${opening}${subject} ${verb} ${object}${ending}`;
    sentences.push(i % 11 === 0 ? sentence.toUpperCase() : sentence);
  }
  return sentences;
}

/** A fresh temporary folder and a function that removes it. */
export async function tempFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'subflow-text-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `lines` to `dir/name`, one per line, and returns the path. */
export async function writeLines(dir: string, name: string, lines: readonly string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}
