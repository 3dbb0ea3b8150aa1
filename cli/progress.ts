/**
 * The progress bar of plan and apply, on a terminal only: groups scanned, decided and changed, the
 * rate, and an ETA when the number of groups is known (from the last complete scan of the same
 * account, region and prefix; see scan-memory.ts). Drawn by cli-progress on stderr.
 */
import { type Options, SingleBar } from 'cli-progress';
import type { ProgressPort } from '../lib/core/ports';
import type { Outcome } from '../lib/core/types';

/** The outcomes that change a group's key (or would, in a dry run). */
const CHANGES: ReadonlySet<string> = new Set([
  'remediated',
  'would-remediate',
  'reassociated',
  'would-reassociate',
]);

export interface ProgressDisplay extends ProgressPort {
  /** Start drawing; `expected` is the number of groups the scan is expected to find, if known. */
  start(expected: number | undefined): void;
  stop(): void;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  dryRun: boolean;
  /** Milliseconds; injected so tests control time. */
  clock?: () => number;
  /** Redraws per second (cli-progress's default is 10). */
  fps?: number;
}

export function createProgressBar(options: ProgressOptions): ProgressDisplay {
  const clock = options.clock ?? Date.now;
  const counts = { scanned: 0, decided: 0, changed: 0 };
  let expected: number | undefined;
  let startedAt = 0;
  const changedLabel = options.dryRun ? 'would change' : 'changed';
  const bar = new SingleBar({
    stream: options.stream,
    fps: options.fps ?? 10,
    hideCursor: true,
    barsize: 24,
    format: (_options: Options, params: { value: number; total: number }, payload: Payload) =>
      formatLine(params, payload, expected !== undefined),
  });
  const payload = (): Payload => {
    const seconds = Math.max((clock() - startedAt) / 1000, 0.001);
    const rate = counts.decided / seconds;
    const left = expected === undefined ? undefined : Math.max(expected - counts.decided, 0);
    return { ...counts, changedLabel, rate, eta: left === undefined || rate === 0 ? undefined : left / rate };
  };
  const update = () => {
    if (expected !== undefined && counts.scanned > expected) {
      expected = counts.scanned;
      bar.setTotal(expected);
    }
    bar.update(counts.decided, payload());
  };
  return {
    start(total) {
      expected = total;
      startedAt = clock();
      bar.start(total ?? 0, 0, payload());
    },
    stop() {
      bar.update(counts.decided, payload());
      bar.stop();
    },
    scanned() {
      counts.scanned++;
      update();
    },
    settled(outcome: Outcome | 'already-encrypted') {
      counts.decided++;
      if (CHANGES.has(outcome)) counts.changed++;
      update();
    },
  };
}

interface Payload {
  scanned: number;
  decided: number;
  changed: number;
  changedLabel: string;
  /** Groups decided per second. */
  rate: number;
  /** Seconds left; undefined when the number of groups is not known. */
  eta: number | undefined;
}

export function formatLine(params: { value: number; total: number }, p: Payload, known: boolean): string {
  const counts = `scanned ${p.scanned} | decided ${p.decided} | ${p.changedLabel} ${p.changed} | ${p.rate.toFixed(1)} groups/s`;
  if (!known) return `${counts} | ETA unknown (first scan)`;
  const share = params.total > 0 ? Math.min(params.value / params.total, 1) : 0;
  const width = 24;
  const filled = Math.round(share * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${bar} ${Math.round(share * 100)}% | ${counts} | ETA ${formatSeconds(p.eta)}`;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
