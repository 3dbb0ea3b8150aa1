/**
 * Pure: the resume token that lets a later invocation continue a run exactly where an earlier
 * one stopped, and exactly as the earlier one meant to run.
 *
 * It carries two things:
 * - the position: the DescribeLogGroups page the earlier run was in, and the name of the last
 *   group of that page it accounted for. A name, not a count: groups created or deleted in that
 *   page between the two invocations would shift a count, while DescribeLogGroups lists groups
 *   "ASCII-sorted by log group name" (API reference, DescribeLogGroups), so "after this name"
 *   stays true.
 * - the intent: dry run or live, the remediations still allowed, the prefix and the report mode.
 *   A resumed run takes these from the token, never from the defaults: a resumed dry run that
 *   fell back to DRY_RUN=false would go live.
 */
import { EventError } from './errors';
import type { ReportMode } from './types';

export interface ScanPosition {
  /** The DescribeLogGroups token that fetches the page the run stopped in; absent for the first page. */
  pageToken?: string;
  /** The last group of that page already accounted for; absent when none was. */
  after?: string;
}

/** What a run was asked to do; a resumed run does exactly the same. */
export interface RunIntent {
  dryRun: boolean;
  /** Associations (or would-be associations) still allowed; absent when there is no cap. */
  remediationsLeft?: number;
  /** The name prefix of the run, which the resumed scan must keep. */
  logGroupNamePrefix?: string;
  report: ReportMode;
}

export interface ResumePoint {
  position: ScanPosition;
  intent: RunIntent;
}

const VERSION = 2;

export function encodeResumeToken({ position, intent }: ResumePoint): string {
  const payload = {
    v: VERSION,
    t: position.pageToken,
    a: position.after,
    d: intent.dryRun,
    m: intent.remediationsLeft,
    p: intent.logGroupNamePrefix,
    r: intent.report,
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';

/** Decode a token from an event; throws EventError('resumeToken') when it is not one of ours. */
export function decodeResumeToken(token: string): ResumePoint {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new EventError('resumeToken', 'not a token this function issued');
  }
  const { v, t, a, d, m, p, r } = (payload ?? {}) as Record<string, unknown>;
  if (v === 1) {
    // Version 1 tokens carried no intent: guessing it could turn a dry run into a live one.
    throw new EventError(
      'resumeToken',
      'issued by an older version that did not record dryRun; start a new run',
    );
  }
  if (
    v !== VERSION ||
    !isOptionalString(t) ||
    !isOptionalString(a) ||
    !isOptionalString(p) ||
    typeof d !== 'boolean' ||
    (m !== undefined && (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 0)) ||
    (r !== 'always' && r !== 'findings')
  ) {
    throw new EventError('resumeToken', 'not a token this function issued');
  }
  return {
    position: {
      ...(t !== undefined ? { pageToken: t as string } : {}),
      ...(a !== undefined ? { after: a as string } : {}),
    },
    intent: {
      dryRun: d,
      ...(m !== undefined ? { remediationsLeft: m as number } : {}),
      ...(p !== undefined ? { logGroupNamePrefix: p as string } : {}),
      report: r,
    },
  };
}
