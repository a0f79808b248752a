/**
 * Rebuilds the bundled Spanish→English Bible corpus (and the toy corpus cut from it) from Debian's
 * SWORD modules, bit-identically for the same module versions.
 *
 *   npx tsx corpora/bible-es-en/build.ts            write corpora/bible-es-en and corpora/toy
 *   npx tsx corpora/bible-es-en/build.ts --check    rebuild in a temp folder, compare with the manifests
 *
 * Needs `mod2imp` and the two modules: `bash scripts/setup.sh --with-corpus-tools`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSubflowError, SubflowError } from '../../errors.js';
import { alignVerses, type VersePair } from './alignVerses.js';
import { gzipDeterministic, readCorpusText, sha256, writeFileAtomic } from './corpusFiles.js';
import { type CorpusManifest, type ManifestFile, describeShift } from './manifest.js';
import { splitByKeyHash } from './splitVerses.js';
import { exportModule } from './swordModule.js';
import { selectToyPairs } from './toyCorpus.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOY_DIR = join(HERE, '..', 'toy');

const SPANISH = {
  language: 'es',
  module: 'spaRV1909eb',
  package: 'sword-text-sparv',
  title: 'Reina-Valera 1909',
  licence: 'Public domain',
};
const ENGLISH = {
  language: 'en',
  module: 'engWEB2015eb',
  package: 'sword-text-web',
  title: 'derived from the World English Bible',
  licence: 'Public domain',
};
const EXPORT_TOOL = 'libsword-utils';
const SPLIT = { seed: 1, devSize: 1000, testSize: 1000 };
/** Above this many bytes of text in all, the files are committed gzipped. */
const GZIP_ABOVE_BYTES = 4_000_000;

/** Builds both corpora into `bibleDir` and `toyDir` and returns their manifests. */
export function buildCorpora(
  bibleDir: string,
  toyDir: string,
): { bible: CorpusManifest; toy: CorpusManifest } {
  const versions = packageVersions([SPANISH.package, ENGLISH.package, EXPORT_TOOL]);
  const { pairs, report } = alignVerses(exportModule(SPANISH.module), exportModule(ENGLISH.module));
  const splits = splitByKeyHash(pairs, (pair) => pair.key, SPLIT);

  const bibleTexts = new Map<string, string>();
  for (const [split, items] of Object.entries(splits)) addSplitTexts(bibleTexts, split, items, true);
  const totalBytes = [...bibleTexts.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const sources = [
    { ...SPANISH, version: versions[SPANISH.package] },
    { ...ENGLISH, version: versions[ENGLISH.package] },
  ];
  const bible: CorpusManifest = {
    name: 'bible-es-en',
    description:
      'Verse-aligned Spanish→English Bible: Reina-Valera 1909 and an English text derived from the World English Bible, markup stripped, one verse per line.',
    sourceLanguage: 'es',
    targetLanguage: 'en',
    sources,
    tools: [{ package: EXPORT_TOOL, version: versions[EXPORT_TOOL], command: 'mod2imp' }],
    split: {
      ...SPLIT,
      method:
        'sha256 of "seed:reference"; the devSize lowest go to dev, the next testSize to test, the rest to train',
    },
    counts: { train: splits.train.length, dev: splits.dev.length, test: splits.test.length },
    files: writeTexts(bibleDir, bibleTexts, totalBytes > GZIP_ABOVE_BYTES),
    dropped: {
      chapters: report.shiftedChapters.map((c) => ({ chapter: c.chapter, reason: describeShift(c) })),
      verses: report.droppedVerses,
      spanishSubscriptionsRemoved: report.removedSubscriptions,
    },
  };
  writeFileAtomic(join(bibleDir, 'manifest.json'), JSON.stringify(bible, null, 2) + '\n');

  const toyPairs = selectToyPairs(splits);
  const toyTexts = new Map<string, string>();
  for (const [split, items] of Object.entries(toyPairs)) addSplitTexts(toyTexts, split, items, false);
  const toy: CorpusManifest = {
    ...bible,
    name: 'toy',
    description:
      'Tiny Spanish→English corpus for fast tests: short verses (both sides at most 60 characters) spread over the bible-es-en train and dev splits.',
    split: { method: 'taken from bible-es-en: train from its train split, dev from its dev split' },
    counts: { train: toyPairs.train.length, dev: toyPairs.dev.length },
    files: writeTexts(toyDir, toyTexts, false),
    dropped: undefined,
  };
  writeFileAtomic(join(toyDir, 'manifest.json'), JSON.stringify(toy, null, 2) + '\n');
  return { bible, toy };
}

function addSplitTexts(
  texts: Map<string, string>,
  split: string,
  pairs: VersePair[],
  withRefs: boolean,
): void {
  const lines = (pick: (pair: VersePair) => string): string =>
    pairs.map((pair) => pick(pair) + '\n').join('');
  texts.set(
    `${split}.es`,
    lines((pair) => pair.es),
  );
  texts.set(
    `${split}.en`,
    lines((pair) => pair.en),
  );
  if (withRefs)
    texts.set(
      `${split}.ref`,
      lines((pair) => pair.key),
    );
}

function writeTexts(dir: string, texts: Map<string, string>, gzip: boolean): Record<string, ManifestFile> {
  const files: Record<string, ManifestFile> = {};
  for (const [name, text] of texts) {
    const data = Buffer.from(text, 'utf8');
    const path = gzip ? `${name}.gz` : name;
    writeFileAtomic(join(dir, path), gzip ? gzipDeterministic(data) : data);
    files[name] = { path, lines: text.split('\n').length - 1, bytes: data.length, sha256: sha256(data) };
  }
  return files;
}

function packageVersions(packages: string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of packages) {
    try {
      versions[name] = execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' }).trim();
    } catch (error) {
      throw new SubflowError('TOOL_MISSING', `cannot find the version of the Debian package ${name}`, {
        hint: 'run `bash scripts/setup.sh --with-corpus-tools` (needs a Debian/Ubuntu system)',
        cause: error,
      });
    }
  }
  return versions;
}

/**
 * Rebuilds into a temporary folder and compares every file's text (sha256) and each manifest with the
 * committed ones. `problems` lists the differences (none means the committed corpus is exactly
 * reproducible); `notes` lists gzip files whose text matches but whose compressed bytes do not, which
 * happens when Node is built with another zlib and is harmless.
 */
export function checkCorpora(bibleDir: string, toyDir: string): { problems: string[]; notes: string[] } {
  const scratch = mkdtempSync(join(tmpdir(), 'subflow-corpus-'));
  try {
    const rebuilt = { bible: join(scratch, 'bible-es-en'), toy: join(scratch, 'toy') };
    for (const dir of Object.values(rebuilt)) mkdirSync(dir, { recursive: true });
    const manifests = buildCorpora(rebuilt.bible, rebuilt.toy);
    const problems: string[] = [];
    const notes: string[] = [];
    for (const [which, dir, fresh] of [
      ['bible-es-en', bibleDir, manifests.bible],
      ['toy', toyDir, manifests.toy],
    ] as const) {
      const committedText = readFileSync(join(dir, 'manifest.json'), 'utf8');
      const committed = JSON.parse(committedText) as CorpusManifest;
      for (const source of fresh.sources) {
        const was = committed.sources.find((s) => s.package === source.package)?.version;
        if (was !== source.version)
          problems.push(`${which}: ${source.package} is ${source.version}, the corpus was built from ${was}`);
      }
      for (const [name, file] of Object.entries(committed.files)) {
        const committedFile = join(dir, file.path);
        const rebuiltFile = join(which === 'toy' ? rebuilt.toy : rebuilt.bible, file.path);
        if (sha256(readCorpusText(committedFile)) !== file.sha256) {
          problems.push(`${which}/${file.path}: committed text does not match its manifest sha256`);
        } else if (fresh.files[name]?.sha256 !== file.sha256) {
          problems.push(`${which}/${file.path}: rebuilt text differs`);
        } else if (
          file.path.endsWith('.gz') &&
          !readFileSync(committedFile).equals(readFileSync(rebuiltFile))
        ) {
          notes.push(
            `${which}/${file.path}: same text, different gzip bytes (another zlib build); not an error`,
          );
        }
      }
      if (JSON.stringify(fresh, null, 2) + '\n' !== committedText)
        problems.push(`${which}/manifest.json: rebuilt manifest differs`);
    }
    return { problems, notes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(args: string[]): number {
  const bibleDir = HERE;
  if (args.includes('--check')) {
    const { problems, notes } = checkCorpora(bibleDir, TOY_DIR);
    for (const line of [...notes, ...problems]) console.error(`check: ${line}`);
    console.error(
      problems.length === 0
        ? 'check: the corpus rebuilds bit-identically'
        : `check: ${problems.length} difference(s)`,
    );
    return problems.length === 0 ? 0 : 1;
  }
  if (args.length > 0) {
    console.error('usage: npx tsx corpora/bible-es-en/build.ts [--check]');
    return 2;
  }
  const { bible, toy } = buildCorpora(bibleDir, TOY_DIR);
  console.error(
    `bible-es-en: ${JSON.stringify(bible.counts)}, dropped chapters: ${bible.dropped?.chapters.length}`,
  );
  console.error(`toy: ${JSON.stringify(toy.counts)}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    if (!isSubflowError(error)) throw error;
    console.error(error.toUserString());
    process.exitCode = 1;
  }
}
