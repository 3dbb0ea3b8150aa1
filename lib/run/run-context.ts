/** What every front door hands the pipeline besides the request: the invocation's identity and clock. */
import type { SweepState } from '../core/sweep';
import type { Report } from '../core/types';

/** Time kept back from the Lambda deadline to finish in-flight calls and publish the report. */
export const DEADLINE_MARGIN_MS = 20_000;

export interface RunContext {
  runId: string;
  /** The account the function runs in: the log groups' account. Unknown outside Lambda: the key's is used. */
  account?: string;
  /** Lambda's `getRemainingTimeInMillis`; without it the run has no deadline. */
  remainingTimeMs?: () => number;
}

export interface RunResult {
  /** The report as published (its group list trimmed to SNS's limit). */
  report: Report;
  published: boolean;
  /** In a sweep that is not finished: what the next invocation needs. */
  continuation?: SweepContinuation;
}

/** What Step Functions passes to the next invocation of a sweep. */
export interface SweepContinuation {
  resumeToken: string;
  sweep: SweepState;
}

/** True once the run is within `leadMs` of the deadline margin. */
export function deadlineOf(context: RunContext, leadMs = 0): () => boolean {
  const remaining = context.remainingTimeMs;
  return remaining ? () => remaining() < DEADLINE_MARGIN_MS + leadMs : () => false;
}
