/**
 * Parse the invocation event into one typed request, before any AWS call.
 * Unknown fields are rejected on purpose: a typo such as `dryrun` must never
 * silently turn a dry run into a live one.
 */
import { EventError } from './errors';
import { decodeResumeToken, type ScanPosition } from './resume-token';
import { parseSweepState, type SweepState } from './sweep';
import type { ReportWhen } from './types';

export interface RunRequest {
  trigger: 'scheduled' | 'manual' | 'cloudtrail';
  /** A CloudTrail CreateLogGroup event: only this group is looked at. */
  createdLogGroup?: { logGroupName: string; eventTime: string };
  /** An event that asks for nothing (a failed CreateLogGroup, a group created encrypted): why. */
  ignored?: string;
  /** Overrides DRY_RUN for this run. */
  dryRun?: boolean;
  /** Passed to DescribeLogGroups to limit the scan. */
  logGroupNamePrefix?: string;
  /** At most this many associations (or would-be associations in a dry run). */
  maxRemediations?: number;
  /** Overrides REPORT_WHEN for this run. */
  report?: ReportWhen;
  /** Where an earlier, incomplete run stopped (from its report's `resumeToken`). */
  resumeFrom?: ScanPosition;
  /** Set when Step Functions drives a sweep: the state so far, undefined for its first invocation. */
  sweep?: { state: SweepState | undefined };
}

const MANUAL_FIELDS = [
  'dryRun',
  'logGroupNamePrefix',
  'maxRemediations',
  'report',
  'resumeToken',
  'sweep',
] as const;
type ManualField = (typeof MANUAL_FIELDS)[number];

// DescribeLogGroups' own constraint on logGroupNamePrefix.
const PREFIX_SHAPE = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** Turn the raw event into a RunRequest, or throw EventError naming the field. */
export function parseEvent(event: unknown): RunRequest {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new EventError('event', `expected a JSON object, got ${describe(event)}`);
  }
  const record = event as Record<string, unknown>;
  if (isScheduledEvent(record)) return { trigger: 'scheduled' };
  if (record['detail-type'] === 'AWS API Call via CloudTrail') return parseCloudTrailEvent(record);
  return parseManualEvent(record);
}

/**
 * A CloudTrail "AWS API Call" event for logs:CreateLogGroup, delivered by EventBridge, whoever
 * made the call (a person, or a service such as RDS or Lambda on their behalf).
 */
function parseCloudTrailEvent(event: Record<string, unknown>): RunRequest {
  const detail = event.detail as Record<string, unknown> | undefined;
  if (event.source !== 'aws.logs')
    throw new EventError('source', `expected "aws.logs", got ${describe(event.source)}`);
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new EventError('detail', 'expected the CloudTrail record as an object');
  }
  if (detail.eventSource !== 'logs.amazonaws.com' || detail.eventName !== 'CreateLogGroup') {
    throw new EventError(
      'detail.eventName',
      `expected logs.amazonaws.com CreateLogGroup, got ${describe(detail.eventSource)} ${describe(detail.eventName)}`,
    );
  }
  const eventTime = detail.eventTime;
  if (typeof eventTime !== 'string' || Number.isNaN(Date.parse(eventTime))) {
    throw new EventError('detail.eventTime', `expected an ISO 8601 time, got ${describe(eventTime)}`);
  }
  // A call that failed created nothing; CloudTrail records it all the same.
  if (detail.errorCode !== undefined && detail.errorCode !== null) {
    return {
      trigger: 'cloudtrail',
      ignored: `CreateLogGroup failed (${truncate(String(detail.errorCode))})`,
    };
  }
  const parameters = detail.requestParameters as Record<string, unknown> | undefined;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw new EventError('detail.requestParameters', 'expected the CreateLogGroup parameters as an object');
  }
  const name = parameters.logGroupName;
  if (typeof name !== 'string' || !PREFIX_SHAPE.test(name)) {
    throw new EventError(
      'detail.requestParameters.logGroupName',
      `expected a log group name of 1 to 512 characters of [.-_/#A-Za-z0-9], got ${describe(name)}`,
    );
  }
  if (typeof parameters.kmsKeyId === 'string' && parameters.kmsKeyId !== '') {
    return { trigger: 'cloudtrail', ignored: `${name} was created with a KMS key` };
  }
  return { trigger: 'cloudtrail', createdLogGroup: { logGroupName: name, eventTime } };
}

function isScheduledEvent(event: Record<string, unknown>): boolean {
  return event['detail-type'] === 'Scheduled Event' && event.source === 'aws.events';
}

function parseManualEvent(event: Record<string, unknown>): RunRequest {
  for (const field of Object.keys(event)) {
    if (!(MANUAL_FIELDS as readonly string[]).includes(field)) {
      const hint = suggestField(field);
      throw new EventError(
        truncate(field),
        `unknown field${hint ? `; did you mean ${hint}?` : ''} (allowed: ${MANUAL_FIELDS.join(', ')})`,
      );
    }
  }
  const request: RunRequest = { trigger: 'manual' };
  const { dryRun, logGroupNamePrefix, maxRemediations, report } = event;
  if (dryRun !== undefined) {
    if (typeof dryRun !== 'boolean')
      throw new EventError('dryRun', `expected true or false, got ${describe(dryRun)}`);
    request.dryRun = dryRun;
  }
  if (logGroupNamePrefix !== undefined) {
    if (typeof logGroupNamePrefix !== 'string' || !PREFIX_SHAPE.test(logGroupNamePrefix)) {
      throw new EventError(
        'logGroupNamePrefix',
        `expected 1 to 512 characters of [.-_/#A-Za-z0-9], got ${describe(logGroupNamePrefix)}`,
      );
    }
    request.logGroupNamePrefix = logGroupNamePrefix;
  }
  if (maxRemediations !== undefined) {
    if (
      typeof maxRemediations !== 'number' ||
      !Number.isSafeInteger(maxRemediations) ||
      maxRemediations < 1
    ) {
      throw new EventError(
        'maxRemediations',
        `expected a positive whole number, got ${describe(maxRemediations)}`,
      );
    }
    request.maxRemediations = maxRemediations;
  }
  if (report !== undefined) {
    if (report !== 'always' && report !== 'findings') {
      throw new EventError('report', `expected "always" or "findings", got ${describe(report)}`);
    }
    request.report = report;
  }
  if (event.resumeToken !== undefined) {
    if (typeof event.resumeToken !== 'string' || event.resumeToken.length > 4096) {
      throw new EventError(
        'resumeToken',
        `expected the resumeToken of an earlier report, got ${describe(event.resumeToken)}`,
      );
    }
    const position = decodeResumeToken(event.resumeToken);
    if (position.logGroupNamePrefix !== undefined && !PREFIX_SHAPE.test(position.logGroupNamePrefix)) {
      throw new EventError('resumeToken', 'carries a logGroupNamePrefix that DescribeLogGroups would reject');
    }
    if (
      request.logGroupNamePrefix !== undefined &&
      request.logGroupNamePrefix !== position.logGroupNamePrefix
    ) {
      throw new EventError(
        'logGroupNamePrefix',
        'differs from the prefix of the sweep the resumeToken continues',
      );
    }
    request.resumeFrom = position;
    if (position.logGroupNamePrefix !== undefined) request.logGroupNamePrefix = position.logGroupNamePrefix;
  }
  if (event.sweep !== undefined) request.sweep = { state: parseSweepState(event.sweep) };
  return request;
}

/** The allowed field that differs from `field` only in case or punctuation, if any. */
function suggestField(field: string): ManualField | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  return MANUAL_FIELDS.find((allowed) => fold(allowed) === fold(field));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${truncate(String(value))}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
