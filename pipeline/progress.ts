import cliProgress from 'cli-progress';
import type { TrainEvent } from '../types.js';
import type { PipelineContext } from './context.js';

/** Shows training progress on stderr: a live bar on a terminal, a log line every 30 s otherwise. */
export interface TrainProgress {
  update(event: TrainEvent): void;
  stop(): void;
}

const LOG_INTERVAL_MS = 30_000;

/** A progress display for the train stage; `maxSteps` gives the bar its end when known. */
export function createTrainProgress(
  context: Pick<PipelineContext, 'interactive' | 'log'>,
  maxSteps?: number,
): TrainProgress {
  const bar = context.interactive
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: maxSteps
            ? 'train |{bar}| step {value}/{total} | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {eta_formatted}'
            : 'train | step {value} | epoch {epoch} | loss {loss} | {tps} tok/s | {duration_formatted}',
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLog = 0;
  // Clear the bar's line first; the bar redraws itself on the next step.
  const note = (message: string) =>
    bar && started ? process.stderr.write(`\r\x1b[K${message}\n`) : context.log(message);
  return {
    update(event) {
      if (event.kind === 'step') {
        const payload = {
          epoch: event.epoch,
          loss: event.loss?.toFixed(3) ?? '-',
          tps: Math.round(event.tokensPerSecond ?? 0),
        };
        if (bar && !started) {
          bar.start(maxSteps ?? 0, event.step, payload);
          started = true;
        } else bar?.update(event.step, payload);
        if (!bar && Date.now() - lastLog >= LOG_INTERVAL_MS) {
          lastLog = Date.now();
          const eta = event.etaSeconds ? `, ETA ${formatSeconds(event.etaSeconds)}` : '';
          context.log(
            `train: step ${event.step} epoch ${event.epoch} loss ${payload.loss} lr ${event.learningRate?.toExponential(2)} ${payload.tps} tok/s${eta}`,
          );
        }
      } else if (event.kind === 'validation') {
        const scores = [
          `loss ${event.validLoss?.toFixed(3)}`,
          event.bleu !== undefined ? `BLEU ${event.bleu.toFixed(2)}` : '',
          event.chrf !== undefined ? `chrF2 ${event.chrf.toFixed(2)}` : '',
        ].filter(Boolean);
        note(
          `validation at step ${event.step}: ${scores.join(', ')}${event.improved ? ' (best so far)' : ''}`,
        );
      } else if (event.kind === 'epoch') {
        note(`epoch ${event.epoch} done at step ${event.step}`);
      } else if (event.kind === 'checkpoint' && event.checkpoint !== 'last') {
        note(`checkpoint ${event.checkpoint}: ${event.path}`);
      } else if (event.kind === 'done') {
        bar?.stop();
        context.log(`train: done after ${event.step} steps (${event.reason})`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function formatSeconds(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h
    ? `${h}h${String(m).padStart(2, '0')}m`
    : `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}
