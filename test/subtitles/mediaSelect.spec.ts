import { expect } from 'chai';
import { isSubflowError, type SubflowError } from '../../errors.js';
import type { SubtitleStream } from '../../subtitles/cue.js';
import { iso6392Codes, toIso6392 } from '../../subtitles/mediaLanguages.js';
import type { MediaProbe } from '../../subtitles/mediaProbe.js';
import {
  chooseSubtitleStream,
  selectSubtitleStream,
  type StreamChoice,
} from '../../subtitles/mediaSelect.js';

function probeWith(subtitles: Array<Partial<SubtitleStream> & { codec: string }>): MediaProbe {
  const subtitleStreams = subtitles.map((s, i): SubtitleStream => ({
    index: i + 2,
    kind: /pgs|dvd/.test(s.codec) ? 'bitmap' : 'text',
    isDefault: false,
    isForced: false,
    ...s,
  }));
  const base = [
    { index: 0, type: 'video', codec: 'h264', details: '', isDefault: false, isForced: false },
    { index: 1, type: 'audio', codec: 'aac', details: '', isDefault: false, isForced: false },
  ];
  return {
    file: 'movie.mkv',
    format: 'matroska,webm',
    startMs: 0,
    chapterCount: 0,
    streams: [
      ...base,
      ...subtitleStreams.map((s) => ({
        ...s,
        type: 'subtitle',
        details: s.kind,
        isDefault: !!s.isDefault,
        isForced: false,
      })),
    ],
    subtitleStreams,
  };
}

function thrown(probe: MediaProbe, choice: StreamChoice): SubflowError {
  try {
    selectSubtitleStream(probe, choice);
  } catch (error) {
    if (isSubflowError(error)) return error;
    throw error;
  }
  throw new Error('expected a SubflowError');
}

describe('subtitles/mediaSelect', () => {
  const twoEnglish = probeWith([
    { codec: 'subrip', language: 'eng' },
    { codec: 'ass', language: 'eng', title: 'Signs' },
    { codec: 'subrip', language: 'ger' },
    { codec: 'hdmv_pgs_subtitle', language: 'fre' },
  ]);

  it('takes an explicit stream index first', () => {
    expect(selectSubtitleStream(twoEnglish, { stream: 3, language: 'ger' }).index).to.equal(3);
  });

  it('finds a language by its ISO 639-1, 639-2/B or 639-2/T code', () => {
    for (const language of ['de', 'ger', 'deu', 'DEU']) {
      expect(selectSubtitleStream(twoEnglish, { language }).index, language).to.equal(4);
    }
  });

  it('refuses to guess between several fitting text streams, listing them', () => {
    const error = thrown(twoEnglish, { language: 'en' });
    expect(error.code).to.equal('BAD_ARGUMENT');
    expect(error.message).to.include('#2 (subrip, eng), #3 (ass, eng, "Signs")');
    expect(error.hint).to.include('--stream N');
    expect(thrown(twoEnglish, {}).code).to.equal('BAD_ARGUMENT');
  });

  it('prefers the one default stream when several fit', () => {
    const probe = probeWith([
      { codec: 'subrip', language: 'eng' },
      { codec: 'subrip', language: 'eng', isDefault: true },
    ]);
    expect(selectSubtitleStream(probe, { language: 'eng' }).index).to.equal(3);
    expect(selectSubtitleStream(probe).index).to.equal(3);
  });

  it('says SUBTITLE_BITMAP when the asked language exists only as a bitmap', () => {
    const error = thrown(twoEnglish, { language: 'fr' });
    expect(error.code).to.equal('SUBTITLE_BITMAP');
    expect(error.message).to.include(
      'stream #5 (hdmv_pgs_subtitle, fre) of movie.mkv is a bitmap subtitle and needs OCR',
    );
  });

  it('names every bitmap stream when there are only bitmaps', () => {
    const probe = probeWith([
      { codec: 'hdmv_pgs_subtitle', language: 'eng' },
      { codec: 'dvd_subtitle', language: 'spa' },
    ]);
    const error = thrown(probe, {});
    expect(error.code).to.equal('SUBTITLE_BITMAP');
    expect(error.message).to.include('#2 (hdmv_pgs_subtitle, eng), #3 (dvd_subtitle, spa)');
  });

  it('says SUBTITLE_NO_STREAM for an index that is not a subtitle, and BAD_ARGUMENT for a bad language code', () => {
    expect(thrown(twoEnglish, { stream: 1 }).message).to.include(
      'stream #1 of movie.mkv is an audio stream (aac)',
    );
    expect(thrown(twoEnglish, { language: 'spanish' }).code).to.equal('BAD_ARGUMENT');
  });
});

describe("subtitles/mediaSelect with the model's source language", () => {
  const prefer = (probe: MediaProbe) => chooseSubtitleStream(probe, { preferLanguage: 'es' });

  it('takes the track in the source language over a default track in another', () => {
    const probe = probeWith([
      { codec: 'mov_text', language: 'eng', isDefault: true },
      { codec: 'mov_text', language: 'spa', title: 'Español' },
    ]);
    expect(selectSubtitleStream(probe).index, 'without a model language: the default').to.equal(2);
    const choice = prefer(probe);
    expect(choice.stream.index).to.equal(3);
    expect(choice.reason).to.equal("the only text subtitle stream in the model's source language es (spa)");
  });

  it('among several in the source language takes the default one, and refuses when none is', () => {
    const probe = probeWith([
      { codec: 'subrip', language: 'eng', isDefault: true },
      { codec: 'subrip', language: 'spa', title: 'Forced' },
      { codec: 'ass', language: 'spa', isDefault: true },
    ]);
    expect(prefer(probe).stream.index).to.equal(4);
    const tie = probeWith([
      { codec: 'subrip', language: 'spa' },
      { codec: 'subrip', language: 'spa', title: 'SDH' },
    ]);
    const error = thrown(tie, { preferLanguage: 'es' });
    expect(error.code).to.equal('BAD_ARGUMENT');
    expect(error.message).to.include('#2 (subrip, spa), #3 (subrip, spa, "SDH")');
    expect(error.hint).to.include('--stream N');
  });

  it('takes an untagged track when none is in the source language, and refuses several', () => {
    const probe = probeWith([{ codec: 'subrip', language: 'eng', isDefault: true }, { codec: 'subrip' }]);
    expect(prefer(probe).stream.index).to.equal(3);
    expect(prefer(probe).reason).to.match(/without a language tag/);
    const und = probeWith([
      { codec: 'subrip', language: 'und' },
      { codec: 'subrip', language: 'und' },
    ]);
    expect(thrown(und, { preferLanguage: 'es' }).message).to.include('#2 (subrip, und), #3 (subrip, und)');
  });

  it("refuses tracks that are all in other languages, naming the model's language and the tracks", () => {
    for (const probe of [
      probeWith([{ codec: 'subrip', language: 'eng' }]),
      probeWith([
        { codec: 'subrip', language: 'eng', isDefault: true },
        { codec: 'subrip', language: 'fre' },
      ]),
    ]) {
      const error = thrown(probe, { preferLanguage: 'es' });
      expect(error.code).to.equal('SUBTITLE_NO_STREAM');
      expect(error.message).to.match(
        /no text subtitle stream in the model's source language es \(spa\); it has #2 \(subrip, eng\)/,
      );
      expect(error.hint).to.include('--stream N');
    }
  });

  it('says SUBTITLE_BITMAP when the source language exists only as a bitmap track', () => {
    const probe = probeWith([
      { codec: 'subrip', language: 'eng' },
      { codec: 'hdmv_pgs_subtitle', language: 'spa' },
    ]);
    expect(thrown(probe, { preferLanguage: 'es' }).code).to.equal('SUBTITLE_BITMAP');
  });

  it('gives way to an explicit stream or language', () => {
    const probe = probeWith([
      { codec: 'subrip', language: 'eng' },
      { codec: 'subrip', language: 'spa' },
    ]);
    expect(chooseSubtitleStream(probe, { stream: 2, preferLanguage: 'es' })).to.deep.include({
      reason: 'the stream asked for',
    });
    expect(chooseSubtitleStream(probe, { language: 'en', preferLanguage: 'es' }).stream.index).to.equal(2);
  });
});

describe('subtitles/mediaLanguages', () => {
  it('maps ISO 639-1 to the 639-2 code files carry, B form first', () => {
    expect(toIso6392('es')).to.equal('spa');
    expect(toIso6392('de')).to.equal('ger');
    expect(toIso6392('ENG')).to.equal('eng');
    expect(iso6392Codes('zho')).to.deep.equal(['chi', 'zho']);
    expect(iso6392Codes('tlh')).to.deep.equal(['tlh']);
  });

  it('refuses what is not a language code', () => {
    for (const tag of ['english', 'e', 'xx', '12']) {
      expect(() => toIso6392(tag), tag)
        .to.throw()
        .with.property('code', 'BAD_ARGUMENT');
    }
  });
});
