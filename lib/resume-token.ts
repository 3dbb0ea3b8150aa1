/**
 * Pure: the resume token that lets a later invocation continue a sweep exactly where an
 * earlier one stopped. It names the DescribeLogGroups page the earlier run was in and how
 * many of that page's groups it already accounted for, so no group is counted twice.
 */
import { EventError } from './errors';

export interface ScanPosition {
  /** The DescribeLogGroups token that fetches the page the run stopped in; absent for the first page. */
  pageToken?: string;
  /** How many groups of that page were already accounted for. */
  skip: number;
  /** The name prefix of the sweep, which the resumed scan must keep. */
  logGroupNamePrefix?: string;
}

const VERSION = 1;

export function encodeResumeToken(position: ScanPosition): string {
  const payload = { v: VERSION, t: position.pageToken, s: position.skip, p: position.logGroupNamePrefix };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Decode a token from an event; throws EventError('resumeToken') when it is not one of ours. */
export function decodeResumeToken(token: string): ScanPosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new EventError('resumeToken', 'not a token this function issued');
  }
  const { v, t, s, p } = (payload ?? {}) as Record<string, unknown>;
  if (
    v !== VERSION ||
    (t !== undefined && typeof t !== 'string') ||
    typeof s !== 'number' ||
    !Number.isSafeInteger(s) ||
    s < 0 ||
    (p !== undefined && typeof p !== 'string')
  ) {
    throw new EventError('resumeToken', 'not a token this function issued');
  }
  return {
    skip: s,
    ...(t !== undefined ? { pageToken: t } : {}),
    ...(p !== undefined ? { logGroupNamePrefix: p } : {}),
  };
}
