import type { SubtitleJobOptions } from '../../jobs/translateSubtitleFile.js';
import { REFLOW_DEFAULTS } from '../../subtitles/reflow.js';

/** Job options as `subflow translate` uses them by default: English, no mux, default reflow. */
export const PLAIN_JOB_OPTIONS: SubtitleJobOptions = Object.freeze({
  targetLanguage: 'eng',
  mux: false,
  strict: false,
  bom: false,
  ...REFLOW_DEFAULTS,
});
