import { readFileSync } from 'node:fs';
import type { BleuOptions } from '../../text/bleu.js';

/** Reference values from sacreBLEU's own tests, with their inputs (see `source` in the JSON). */
export interface SacrebleuFixtures {
  source: string;
  readmeRefs: string[][];
  readmeHyps: string[];
  corpusBleu: { what: string; hyps: string[] | 'readme'; options: BleuOptions; score: number }[];
  maxNgramOrder: [number, string][];
  rawCorpusBleu: {
    cases: { hyps: string[]; refs: string[][]; smoothValue: number; score: number }[];
    statistics: { hyps: string[]; refs: string[][]; counts: number[]; totals: number[] };
  };
  fromStatistics: {
    counts: number[];
    totals: number[];
    sysLen: number;
    refLen: number;
    options: BleuOptions;
    score: number;
  }[];
  sentenceBleu: {
    ref: string;
    hyp: string;
    cases: { options: BleuOptions; score: number }[];
    zero: { ref: string; hyp: string };
  };
  chrf: {
    epsSmoothingBeta3: [string[], string[], number][];
    effectiveOrderBeta3: [string[], string[], number][];
    keepWhitespaceBeta3: [string[], string[], number][];
    sentenceEpsSmoothing: [string, string, number][];
    defaultChrf2: { hyp: string; ref: string; score: number };
  };
}

export const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/sacrebleu.json', import.meta.url), 'utf8'),
) as SacrebleuFixtures;
