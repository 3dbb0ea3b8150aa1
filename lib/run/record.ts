/**
 * Keeps the outcome of every group the run accounts for, and logs each as it is recorded, so
 * that nothing the SNS report trims is lost.
 */
import type { LogPort, ProgressPort } from '../core/ports';
import type { GroupOutcome } from '../core/types';

export interface Recorder {
  record(outcome: GroupOutcome): void;
  /** Every outcome recorded, in the order recorded. */
  readonly outcomes: GroupOutcome[];
}

export function createRecorder(log: LogPort, progress?: ProgressPort): Recorder {
  const outcomes: GroupOutcome[] = [];
  return {
    outcomes,
    record(outcome) {
      outcomes.push(outcome);
      logOutcome(log, outcome);
      progress?.settled(outcome.outcome);
    },
  };
}

/**
 * One structured line per listed group, at INFO or above (the level the stack keeps), so nothing
 * the SNS report trims is lost. Already-encrypted groups are only counted, as in the report.
 */
function logOutcome(log: LogPort, outcome: GroupOutcome): void {
  // Nested: Powertools reserves top-level keys such as "message" and would drop ours.
  const line = { logGroup: outcome };
  switch (outcome.outcome) {
    case 'remediated':
    case 'would-remediate':
    case 'excluded':
      log.info('Log group outcome', line);
      break;
    case 'failed':
      log.error('Log group outcome', line);
      break;
    case 'skipped':
    case 'not-reached':
      log.warn('Log group outcome', line);
      break;
  }
}
