/**
 * Parse the invocation event into one typed request, before any AWS call.
 * Unknown fields are rejected on purpose, on every kind of event: a typo such as `dryrun`, or a
 * `dryRun` added to a scheduled event by an input transformer, must never silently turn a dry
 * run into a live one.
 */
import { EventError } from './errors';
import { decodeResumeToken, type ResumePoint } from './resume-token';
import { parseSweepState, type SweepState } from './sweep';
import type { ReportMode } from './types';

export interface RunRequest {
  trigger: 'scheduled' | 'manual' | 'cloudtrail';
  /** A CloudTrail CreateLogGroup event: only this group is looked at. */
  createdLogGroup?: { logGroupName: string; eventTime: string };
  /** An event that asks for nothing (a failed CreateLogGroup, a group created encrypted): why. */
  ignored?: string;
  /** Overrides DRY_RUN for this run; a resumed run's comes from its token. */
  dryRun?: boolean;
  /** Passed to DescribeLogGroups to limit the scan. */
  logGroupNamePrefix?: string;
  /** At most this many associations (or would-be associations in a dry run); may be 0 when resumed. */
  maxRemediations?: number;
  /** Overrides REPORT_WHEN for this run. */
  report?: ReportMode;
  /** Where an earlier, incomplete run stopped, and what it was doing (from its report's `resumeToken`). */
  resumeFrom?: ResumePoint['position'];
  /** Set when Step Functions drives a sweep: the state so far, undefined for its first invocation. */
  sweep?: { state: SweepState | undefined };
}

/** The fields of a request that say what to do; a resume token carries them, a sweep's start may set them. */
const INTENT_FIELDS = ['dryRun', 'logGroupNamePrefix', 'maxRemediations', 'report'] as const;

const MANUAL_FIELDS = [...INTENT_FIELDS, 'resumeToken', 'sweep', 'start'] as const;
type ManualField = (typeof MANUAL_FIELDS)[number];

/**
 * The metadata every event on an event bus has, and nothing else: "replay-name" appears on
 * replayed events (EventBridge User Guide, "AWS service event metadata", events-structure.html).
 */
const ENVELOPE_FIELDS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
  'replay-name',
] as const;

// DescribeLogGroups' own constraint on logGroupNamePrefix.
const PREFIX_SHAPE = /^[.\-_/#A-Za-z0-9]{1,512}$/;

// RFC 3339 / ISO 8601 date and time, as CloudTrail writes eventTime ("2025-01-06T03:00:00Z").
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Turn the raw event into a RunRequest, or throw EventError naming the field. */
export function parseEvent(event: unknown): RunRequest {
  const record = requireObject(event, 'event', 'a JSON object');
  if (Object.hasOwn(record, 'detail-type')) return parseBusEvent(record, '');
  return parseManualEvent(record);
}

/** An event from an event bus: the schedule's, or CloudTrail's CreateLogGroup. `where` prefixes field names. */
function parseBusEvent(event: Record<string, unknown>, where: string): RunRequest {
  rejectUnknownFields(event, ENVELOPE_FIELDS, where);
  const detailType = event['detail-type'];
  if (detailType === 'Scheduled Event') return parseScheduledEvent(event, where);
  if (detailType === 'AWS API Call via CloudTrail') return parseCloudTrailEvent(event, where);
  throw new EventError(
    `${where}detail-type`,
    `expected "Scheduled Event" or "AWS API Call via CloudTrail", got ${describe(detailType)}`,
  );
}

function parseScheduledEvent(event: Record<string, unknown>, where: string): RunRequest {
  if (event.source !== 'aws.events') {
    throw new EventError(`${where}source`, `expected "aws.events", got ${describe(event.source)}`);
  }
  checkEventTime(event.time, `${where}time`, false);
  // A schedule's detail is always {}: anything in it was put there by hand and would be ignored.
  const detail = event.detail === undefined ? {} : requireObject(event.detail, `${where}detail`, '{}');
  rejectUnknownFields(detail, [], `${where}detail.`);
  return { trigger: 'scheduled' };
}

/**
 * A CloudTrail "AWS API Call" event for logs:CreateLogGroup, delivered by EventBridge, whoever
 * made the call (a person, or a service such as RDS or Lambda on their behalf).
 */
function parseCloudTrailEvent(event: Record<string, unknown>, where: string): RunRequest {
  if (event.source !== 'aws.logs') {
    throw new EventError(`${where}source`, `expected "aws.logs", got ${describe(event.source)}`);
  }
  checkEventTime(event.time, `${where}time`, false);
  const detail = requireObject(event.detail, `${where}detail`, 'the CloudTrail record as an object');
  checkCloudTrailRecord(detail, `${where}detail.`);
  const eventTime = checkEventTime(detail.eventTime, `${where}detail.eventTime`, true) as string;
  // A call that failed created nothing; CloudTrail records it all the same, with its errorCode.
  if (typeof detail.errorCode === 'string' && detail.errorCode !== '') {
    return { trigger: 'cloudtrail', ignored: `CreateLogGroup failed (${truncate(detail.errorCode)})` };
  }
  const parameters = requireObject(
    detail.requestParameters,
    `${where}detail.requestParameters`,
    'the CreateLogGroup parameters as an object',
  );
  const name = parameters.logGroupName;
  if (typeof name !== 'string' || !PREFIX_SHAPE.test(name)) {
    throw new EventError(
      `${where}detail.requestParameters.logGroupName`,
      `expected a log group name of 1 to 512 characters of [.-_/#A-Za-z0-9], got ${describe(name)}`,
    );
  }
  if (typeof parameters.kmsKeyId === 'string' && parameters.kmsKeyId !== '') {
    return { trigger: 'cloudtrail', ignored: `${name} was created with a KMS key` };
  }
  return { trigger: 'cloudtrail', createdLogGroup: { logGroupName: name, eventTime } };
}

/**
 * CloudTrail adds fields to its records in minor versions and asks applications to ignore them
 * and to compare the major version for equality (CloudTrail User Guide, "CloudTrail record
 * contents", eventVersion). So the record's other fields are not held to a list; but a field
 * named like one of ours (`dryRun`, `report`, …) is a hand-made event, and is refused.
 */
function checkCloudTrailRecord(detail: Record<string, unknown>, where: string): void {
  for (const field of Object.keys(detail)) {
    const ours = suggestField(field);
    if (ours) throw new EventError(`${where}${truncate(field)}`, `a CloudTrail record has no ${ours} field`);
  }
  if (detail.eventSource !== 'logs.amazonaws.com' || detail.eventName !== 'CreateLogGroup') {
    throw new EventError(
      `${where}eventName`,
      `expected logs.amazonaws.com CreateLogGroup, got ${describe(detail.eventSource)} ${describe(detail.eventName)}`,
    );
  }
  const version = detail.eventVersion;
  if (version !== undefined && (typeof version !== 'string' || !/^1\.\d+$/.test(version))) {
    throw new EventError(`${where}eventVersion`, `expected a 1.x record format, got ${describe(version)}`);
  }
}

function checkEventTime(value: unknown, field: string, required: boolean): unknown {
  if (value === undefined && !required) return value;
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new EventError(
      field,
      `expected an ISO 8601 time such as 2025-01-06T03:00:00Z, got ${describe(value)}`,
    );
  }
  return value;
}

function parseManualEvent(event: Record<string, unknown>): RunRequest {
  rejectUnknownFields(event, MANUAL_FIELDS, '');
  const request: RunRequest = { trigger: 'manual', ...parseIntent(event, '') };
  if (event.resumeToken !== undefined) Object.assign(request, parseResume(event));
  if (event.sweep !== undefined) request.sweep = { state: parseSweepState(event.sweep) };
  if (event.start !== undefined) Object.assign(request, parseSweepStart(event));
  return request;
}

/** The overrides a manual event (or a sweep's start) may set, each checked. */
function parseIntent(event: Record<string, unknown>, where: string): Partial<RunRequest> {
  const intent: Partial<RunRequest> = {};
  const { dryRun, logGroupNamePrefix, maxRemediations, report } = event;
  if (dryRun !== undefined) {
    if (typeof dryRun !== 'boolean')
      throw new EventError(`${where}dryRun`, `expected true or false, got ${describe(dryRun)}`);
    intent.dryRun = dryRun;
  }
  if (logGroupNamePrefix !== undefined) {
    if (typeof logGroupNamePrefix !== 'string' || !PREFIX_SHAPE.test(logGroupNamePrefix)) {
      throw new EventError(
        `${where}logGroupNamePrefix`,
        `expected 1 to 512 characters of [.-_/#A-Za-z0-9], got ${describe(logGroupNamePrefix)}`,
      );
    }
    intent.logGroupNamePrefix = logGroupNamePrefix;
  }
  if (maxRemediations !== undefined) {
    const whole = typeof maxRemediations === 'number' && Number.isSafeInteger(maxRemediations);
    if (!whole || maxRemediations < 1) {
      throw new EventError(
        `${where}maxRemediations`,
        `expected a positive whole number, got ${describe(maxRemediations)}`,
      );
    }
    intent.maxRemediations = maxRemediations;
  }
  if (report !== undefined) {
    if (report !== 'always' && report !== 'findings') {
      throw new EventError(`${where}report`, `expected "always" or "findings", got ${describe(report)}`);
    }
    intent.report = report;
  }
  return intent;
}

/**
 * A resumed run does what the token says it was doing. A field of the event that says
 * otherwise is refused rather than obeyed or ignored: either would surprise someone.
 */
function parseResume(event: Record<string, unknown>): Partial<RunRequest> {
  if (typeof event.resumeToken !== 'string' || event.resumeToken.length > 4096) {
    throw new EventError(
      'resumeToken',
      `expected the resumeToken of an earlier report, got ${describe(event.resumeToken)}`,
    );
  }
  const { position, intent } = decodeResumeToken(event.resumeToken);
  if (intent.logGroupNamePrefix !== undefined && !PREFIX_SHAPE.test(intent.logGroupNamePrefix)) {
    throw new EventError('resumeToken', 'carries a logGroupNamePrefix that DescribeLogGroups would reject');
  }
  if (event.maxRemediations !== undefined) {
    throw new EventError(
      'maxRemediations',
      `the resumeToken already carries the remediations left (${intent.remediationsLeft ?? 'no limit'}); leave it out`,
    );
  }
  const resumed: Partial<RunRequest> = {
    dryRun: intent.dryRun,
    report: intent.report,
    ...(intent.logGroupNamePrefix !== undefined ? { logGroupNamePrefix: intent.logGroupNamePrefix } : {}),
    ...(intent.remediationsLeft !== undefined ? { maxRemediations: intent.remediationsLeft } : {}),
  };
  for (const field of ['dryRun', 'report', 'logGroupNamePrefix'] as const) {
    if (event[field] !== undefined && event[field] !== resumed[field]) {
      throw new EventError(
        field,
        `differs from the run the resumeToken continues (${field}: ${describe(resumed[field])}); leave it out`,
      );
    }
  }
  return { ...resumed, resumeFrom: position };
}

/**
 * A sweep's first invocation: `start` is the execution's input (the schedule's event, or a
 * person's request such as {"dryRun": true}), passed on so nothing in it is dropped.
 */
function parseSweepStart(event: Record<string, unknown>): Partial<RunRequest> {
  if (event.sweep === undefined || event.resumeToken !== undefined) {
    throw new EventError('start', 'only the first invocation of a sweep ({"sweep": {}}) takes a start');
  }
  const start = requireObject(event.start, 'start', 'the input of the sweep');
  if (Object.hasOwn(start, 'detail-type')) {
    const request = parseBusEvent(start, 'start.');
    if (request.trigger !== 'scheduled') {
      throw new EventError('start.detail-type', 'a sweep starts from a Scheduled Event or a manual request');
    }
    return {};
  }
  for (const field of INTENT_FIELDS) {
    if (event[field] !== undefined) throw new EventError(field, 'give it in start, the input of the sweep');
  }
  rejectUnknownFields(start, INTENT_FIELDS, 'start.');
  return parseIntent(start, 'start.');
}

function requireObject(value: unknown, field: string, expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventError(field, `expected ${expected}, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknownFields(
  event: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
): void {
  for (const field of Object.keys(event)) {
    if (allowed.includes(field)) continue;
    const hint = suggestField(field);
    const list = allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ' (expected none)';
    throw new EventError(
      `${where}${truncate(field)}`,
      `unknown field${hint && hint !== field ? `; did you mean ${hint}?` : ''}${list}`,
    );
  }
}

/** The field of ours that `field` spells, ignoring case and punctuation, if any. */
function suggestField(field: string): ManualField | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  return MANUAL_FIELDS.find((allowed) => fold(allowed) === fold(field));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${truncate(String(value))}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
