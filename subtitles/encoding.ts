import chardet from 'chardet';
import iconv from 'iconv-lite';
import { SubflowError } from '../errors.js';
import type { SubtitleWarning } from './cue.js';

/**
 * Subtitle bytes → text. Order: a byte order mark decides (UTF-8, UTF-16LE, UTF-16BE); else a file
 * that starts like an image, archive, document or video, or holds zero bytes that UTF-16 does not
 * explain, is refused as binary; else UTF-16 when every other byte is zero; else UTF-8 when the bytes
 * are valid UTF-8; else the codepage chardet ranks highest among those subtitle files really use;
 * else windows-1252. A forced encoding skips the detection, not the binary check.
 */

/** Codepages detection may pick (chardet's names), in the iconv-lite name they decode with. */
const PLAUSIBLE_CODEPAGES: Record<string, string> = {
  'windows-1252': 'windows-1252',
  // Latin-1 text is decoded as its superset windows-1252, so "–", "€" and curly quotes in 0x80–0x9F survive.
  'ISO-8859-1': 'windows-1252',
  'windows-1250': 'windows-1250',
  'windows-1251': 'windows-1251',
  'ISO-8859-2': 'iso-8859-2',
  'ISO-8859-5': 'iso-8859-5',
  'ISO-8859-7': 'iso-8859-7',
  'ISO-8859-8': 'iso-8859-8',
  'ISO-8859-9': 'iso-8859-9',
  'windows-1253': 'windows-1253',
  'windows-1254': 'windows-1254',
  'windows-1255': 'windows-1255',
  'windows-1256': 'windows-1256',
  'KOI8-R': 'koi8-r',
  GB18030: 'gb18030',
  Big5: 'big5',
  Shift_JIS: 'shift_jis',
  'EUC-JP': 'euc-jp',
  'EUC-KR': 'euc-kr',
  'UTF-16LE': 'utf-16le',
  'UTF-16BE': 'utf-16be',
};

/** Options for {@link decodeSubtitleBytes}. */
export interface DecodeOptions {
  /** Force this encoding (any name iconv-lite knows: `cp1252`, `latin1`, `gbk`, `shift_jis` …). */
  encoding?: string;
  /** File name for warnings and errors. */
  file?: string;
}

/** Decoded subtitle text and how it was decoded. */
export interface DecodedSubtitles {
  /** The text, without BOM. */
  text: string;
  /** The encoding used, in iconv-lite's spelling (`utf-8`, `windows-1252`, `utf-16le` …). */
  encoding: string;
  hadBom: boolean;
  warnings: SubtitleWarning[];
}

const BOMS: Array<{ bytes: number[]; encoding: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

function sniffBom(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  const bom = BOMS.find((candidate) => candidate.bytes.every((byte, k) => bytes[k] === byte));
  return bom && { encoding: bom.encoding, length: bom.bytes.length };
}

// UTF-16 without a BOM is valid UTF-8 byte-wise (ASCII plus NULs), so spot it by where its NUL bytes fall.
function sniffBomlessUtf16(bytes: Uint8Array): string | undefined {
  const pairs = Math.min(bytes.length, 4096) >> 1;
  if (pairs < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let k = 0; k < pairs; k++) {
    if (bytes[2 * k] === 0) evenZeros++;
    if (bytes[2 * k + 1] === 0) oddZeros++;
  }
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/**
 * Starts of the files most often mistaken for subtitles (a poster renamed .srt, a zipped download, the
 * video itself), so the error can say what the file is. Other binary files are caught by their zero bytes.
 */
const MAGIC_NUMBERS: Array<{ at: number; bytes: string; what: string }> = [
  { at: 0, bytes: '\x89PNG\r\n\x1a\n', what: 'a PNG image' },
  { at: 0, bytes: '\xff\xd8\xff', what: 'a JPEG image' },
  { at: 0, bytes: 'GIF8', what: 'a GIF image' },
  { at: 8, bytes: 'WEBP', what: 'a WebP image' },
  { at: 0, bytes: 'PK\x03\x04', what: 'a ZIP archive (or a document packed as one)' },
  { at: 0, bytes: '\x1f\x8b', what: 'a gzip archive' },
  { at: 0, bytes: '7z\xbc\xaf\x27\x1c', what: 'a 7-Zip archive' },
  { at: 0, bytes: 'Rar!\x1a\x07', what: 'a RAR archive' },
  { at: 0, bytes: '%PDF-', what: 'a PDF document' },
  { at: 0, bytes: '\x1a\x45\xdf\xa3', what: 'a Matroska/WebM video' },
  { at: 4, bytes: 'ftyp', what: 'an MP4/QuickTime video' },
  { at: 0, bytes: 'RIFF', what: 'a RIFF file (AVI video, WAV audio)' },
  { at: 0, bytes: 'OggS', what: 'an Ogg media file' },
  { at: 0, bytes: 'ID3', what: 'an MP3 audio file' },
  { at: 0, bytes: 'fLaC', what: 'a FLAC audio file' },
  { at: 0, bytes: '\x7fELF', what: 'a program (ELF)' },
];

/** What kind of file its first bytes say it is ("a PNG image"), for the formats above. */
function magicNumberOf(buffer: Buffer): string | undefined {
  return MAGIC_NUMBERS.find((magic) => {
    const expected = Buffer.from(magic.bytes, 'latin1');
    return buffer.subarray(magic.at, magic.at + expected.length).equals(expected);
  })?.what;
}

/** Offset of a zero byte in the first 8 KiB, ignoring zero padding at the end (a cut-off download, a fixed-size copy). */
function zeroByteOffset(buffer: Buffer): number {
  let end = buffer.length;
  while (end > 0 && buffer[end - 1] === 0) end--;
  return buffer.subarray(0, Math.min(end, 8192)).indexOf(0);
}

function binaryError(file: string | undefined, what: string): SubflowError {
  return new SubflowError('SUBTITLE_BINARY', `${file ?? 'the input'} is not a subtitle file: it ${what}`, {
    file,
    hint: "pass an .srt, .vtt or .ass text file; to translate a video's subtitles, pass the video itself",
  });
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Validates an encoding name, throwing `BAD_ARGUMENT` with a hint for one iconv-lite does not know. */
export function checkEncodingName(encoding: string): string {
  if (!iconv.encodingExists(encoding)) {
    throw new SubflowError('BAD_ARGUMENT', `unknown encoding "${encoding}"`, {
      key: 'encoding',
      hint: 'use a name such as utf-8, utf-16le, cp1252, cp1250, cp1251, iso-8859-15, gbk, big5 or shift_jis',
    });
  }
  return encoding;
}

/** Decodes subtitle file bytes following the order above; warns when it had to guess. */
export function decodeSubtitleBytes(bytes: Uint8Array, options: DecodeOptions = {}): DecodedSubtitles {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const warnings: SubtitleWarning[] = [];
  const warn = (message: string): void =>
    void warnings.push(options.file ? { message, file: options.file } : { message });
  const bom = sniffBom(buffer);
  const body = bom ? buffer.subarray(bom.length) : buffer;
  // Binary files are refused before any guess, or a codepage would "decode" them into garbage cues.
  const magic = bom ? undefined : magicNumberOf(body);
  if (magic !== undefined) throw binaryError(options.file, `is ${magic}`);
  const utf16 = bom ? undefined : sniffBomlessUtf16(body);
  const wide = utf16 !== undefined || /^(utf-?16|ucs-?2|utf-?32)/i.test(options.encoding ?? '');
  const zero = bom || wide ? -1 : zeroByteOffset(body);
  if (zero >= 0) throw binaryError(options.file, `holds binary data (a zero byte at offset ${zero})`);
  let encoding: string;
  if (options.encoding !== undefined) {
    encoding = checkEncodingName(options.encoding);
    if (bom && iconv.encodingExists(bom.encoding) && !sameEncoding(bom.encoding, encoding)) {
      warn(`the file starts with a ${bom.encoding} byte order mark but was decoded as ${encoding}, as asked`);
    }
  } else if (bom) {
    encoding = bom.encoding;
  } else if (utf16) {
    encoding = utf16;
    warn(`no byte order mark; decoded as ${encoding} from the position of its zero bytes`);
  } else if (isValidUtf8(body)) {
    encoding = 'utf-8';
  } else {
    const candidates = chardet.analyse(body);
    const match = candidates.find((candidate) => PLAUSIBLE_CODEPAGES[candidate.name] !== undefined);
    encoding = match ? PLAUSIBLE_CODEPAGES[match.name] : 'windows-1252';
    const how = match
      ? `detected with ${match.confidence}% confidence`
      : 'no codepage detected, so the commonest';
    warn(`not UTF-8; decoded as ${encoding} (${how}); pass --encoding to choose another`);
  }
  const text = iconv.decode(body, encoding, { stripBOM: true });
  const replaced = (text.match(/\uFFFD/g) ?? []).length;
  if (replaced > 0) warn(`${replaced} byte sequence(s) are not valid ${encoding} and became U+FFFD`);
  return { text, encoding, hadBom: bom !== undefined, warnings };
}

function sameEncoding(a: string, b: string): boolean {
  const canonical = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return canonical(a) === canonical(b);
}

/** Options for {@link encodeSubtitleText}. */
export interface EncodeOptions {
  /** Start the bytes with a UTF-8 byte order mark (some old players need it). Default false. */
  bom?: boolean;
}

/** Text → UTF-8 bytes, with a BOM when asked (never two). */
export function encodeSubtitleText(text: string, options: EncodeOptions = {}): Buffer {
  const body = Buffer.from(text.replace(/^\uFEFF/, ''), 'utf8');
  return options.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}
