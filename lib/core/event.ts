/**
 * Parse the invocation event into one typed request, before any AWS call.
 * Unknown fields are rejected on purpose, on every kind of event: a typo such as `dryrun`, or a
 * `dryRun` added to a scheduled event by an input transformer, must never silently turn a dry
 * run into a live one.
 */
import * as v from 'valibot';
import type { OtherKeysMode } from './config';
import { EventError } from './errors';
import { decodeResumeToken, type ResumePoint } from './resume-token';
import { parseSweepState, type SweepState } from './sweep';
import type { ReportMode } from './types';

/** The KMS calls whose CloudTrail events start an audit sweep: each can put a key's groups at risk. */
export const KEY_EVENT_NAMES = ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy'] as const;
export type KeyEventName = (typeof KEY_EVENT_NAMES)[number];

/** The KMS call that started a run: what was done, to which key, when. */
export interface KeyEvent {
  eventName: KeyEventName;
  /** The key's ARN (from the record's resources), or the keyId the call was given. */
  keyId: string;
  eventTime: string;
}

export interface RunRequest {
  trigger: 'scheduled' | 'manual' | 'cloudtrail';
  /** A CloudTrail CreateLogGroup event: only this group is looked at. */
  createdLogGroup?: { logGroupName: string; eventTime: string };
  /** A CloudTrail KMS event (directly, or as a sweep's start): an ordinary run or sweep, and why it ran. */
  keyEvent?: KeyEvent;
  /** An event that asks for nothing (a failed CreateLogGroup, a group created encrypted): why. */
  ignored?: string;
  /**
   * A group created already encrypted (CreateLogGroup checks its key). Ignored, unless OTHER_KEYS asks
   * about keys other than the target: see {@link lookAtGroupsCreatedEncrypted}.
   */
  createdWithKey?: { logGroupName: string; eventTime: string };
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

// DescribeLogGroups' own constraint on logGroupNamePrefix (and on a log group's name).
export const PREFIX_SHAPE = /^[.\-_/#A-Za-z0-9]{1,512}$/;

// A KMS key ARN (not an alias ARN), in any partition.
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

// RFC 3339 / ISO 8601 date and time, as CloudTrail writes eventTime ("2025-01-06T03:00:00Z").
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// ---- The shapes, as schemas. Cross-field rules (a token against the event) are code below. ----

/** A valibot message naming what was expected and what came instead. */
const expected =
  (what: string) =>
  (issue: v.BaseIssue<unknown>): string =>
    `expected ${what}, got ${describe(issue.input)}`;

const PREFIX_TEXT = '1 to 512 characters of [.-_/#A-Za-z0-9]';
const POSITIVE = 'a positive whole number';
const ISO_TEXT = 'an ISO 8601 time such as 2025-01-06T03:00:00Z';

/** valibot's object schemas take arrays for objects; events never hold an array where an object goes. */
const plainObject = (what: string) =>
  v.custom<Record<string, unknown>>((value) => isObject(value), expected(what));

const isoTime = v.pipe(
  v.string(expected(ISO_TEXT)),
  v.regex(ISO_TIME, expected(ISO_TEXT)),
  v.check((text) => !Number.isNaN(Date.parse(text)), expected(ISO_TEXT)),
);

/** The fields that say what a run does: a manual event's, and a sweep's `start`. */
const intentSchema = v.object({
  dryRun: v.optional(v.boolean(expected('true or false'))),
  logGroupNamePrefix: v.optional(
    v.pipe(v.string(expected(PREFIX_TEXT)), v.regex(PREFIX_SHAPE, expected(PREFIX_TEXT))),
  ),
  maxRemediations: v.optional(
    v.pipe(
      v.number(expected(POSITIVE)),
      v.safeInteger(expected(POSITIVE)),
      v.minValue(1, expected(POSITIVE)),
    ),
  ),
  report: v.optional(v.picklist(['always', 'findings'], expected('"always" or "findings"'))),
});

const manualSchema = v.object({
  ...intentSchema.entries,
  resumeToken: v.optional(
    v.pipe(
      v.string(expected('the resumeToken of an earlier report')),
      v.maxLength(4096, expected('the resumeToken of an earlier report')),
    ),
  ),
  sweep: v.optional(v.unknown()),
  start: v.optional(v.unknown()),
});

/** The metadata every event on an event bus has (EventBridge User Guide, events-structure.html). */
const envelopeEntries = {
  version: v.optional(v.unknown()),
  id: v.optional(v.unknown()),
  'detail-type': v.string(),
  source: v.string(),
  account: v.optional(v.unknown()),
  time: v.optional(isoTime),
  region: v.optional(v.unknown()),
  resources: v.optional(v.unknown()),
  detail: v.optional(v.unknown()),
  // On replayed events.
  'replay-name': v.optional(v.unknown()),
};

const scheduledSchema = v.object({
  ...envelopeEntries,
  source: v.literal('aws.events', expected('"aws.events"')),
  // A schedule's detail is always {}: anything in it was put there by hand and would be ignored.
  detail: v.optional(
    v.pipe(
      plainObject('{}'),
      v.strictObject({}, () => 'unknown field (expected none)'),
    ),
  ),
});

/** The fields every CloudTrail record we read has in common. */
const recordEntries = {
  // CloudTrail asks readers to compare the major version for equality (record contents, eventVersion).
  eventVersion: v.optional(
    v.pipe(v.string(expected('1.x')), v.regex(/^1\.\d+$/, expected('a 1.x record format'))),
  ),
  eventTime: isoTime,
  errorCode: v.optional(v.nullable(v.string())),
};

const cloudTrailSchema = v.object({
  ...envelopeEntries,
  source: v.literal('aws.logs', expected('"aws.logs" or "aws.kms"')),
  detail: v.pipe(
    plainObject('the CloudTrail record as an object'),
    v.looseObject({
      eventSource: v.literal('logs.amazonaws.com', expected('"logs.amazonaws.com"')),
      eventName: v.literal('CreateLogGroup', expected('"CreateLogGroup"')),
      ...recordEntries,
    }),
  ),
});

const KEY_EVENT_TEXT =
  '"DisableKey", "ScheduleKeyDeletion" or "PutKeyPolicy" (the KMS calls that start a key audit)';
const KEY_ARN_TEXT = 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)';
// KMS's KeyIdType: 1 to 2048 characters (KMS API reference, DisableKey, KeyId).
const KEY_ID_TEXT = 'the key id or key ARN the call was given (1 to 2048 characters)';

/**
 * A CloudTrail record of a KMS call, as EventBridge delivers it: source aws.kms, eventSource
 * kms.amazonaws.com (EventBridge events reference, "AWS Key Management Service events").
 */
const keyEventSchema = v.object({
  ...envelopeEntries,
  source: v.literal('aws.kms', expected('"aws.kms"')),
  detail: v.pipe(
    plainObject('the CloudTrail record as an object'),
    v.looseObject({
      eventSource: v.literal('kms.amazonaws.com', expected('"kms.amazonaws.com"')),
      eventName: v.picklist(KEY_EVENT_NAMES, expected(KEY_EVENT_TEXT)),
      ...recordEntries,
      // The record's own list of the resources the call touched: [{ARN, accountId[, type]}]
      // (KMS Developer Guide, ct-disablekey.html). Not the envelope's `resources`, empty for CloudTrail events.
      resources: v.optional(
        v.array(
          v.pipe(
            plainObject('a resource as an object'),
            v.looseObject({
              ARN: v.optional(
                v.pipe(v.string(expected(KEY_ARN_TEXT)), v.regex(KEY_ARN, expected(KEY_ARN_TEXT))),
              ),
            }),
          ),
          expected('the resources the call touched, as an array'),
        ),
      ),
    }),
  ),
});

const keyRequestSchema = v.object(
  {
    keyId: v.pipe(
      v.string(expected(KEY_ID_TEXT)),
      v.minLength(1, expected(KEY_ID_TEXT)),
      v.maxLength(2048, expected(KEY_ID_TEXT)),
    ),
  },
  // Also the message for a missing keyId.
  expected(KEY_ID_TEXT),
);

const createLogGroupSchema = v.object({
  logGroupName: v.pipe(
    v.string(expected(`a log group name of ${PREFIX_TEXT}`)),
    v.regex(PREFIX_SHAPE, expected(`a log group name of ${PREFIX_TEXT}`)),
  ),
  kmsKeyId: v.optional(v.unknown()),
});

/**
 * Check `value` against `schema`, or throw EventError naming the first bad field (prefixed with
 * `where`). With `strict`, a field the schema does not name is refused first, with a hint.
 */
function parseWith<S extends v.GenericSchema & { entries: v.ObjectEntries }>(
  schema: S,
  value: Record<string, unknown>,
  where: string,
  strict: boolean,
): v.InferOutput<S> {
  if (strict) rejectUnknownFields(value, Object.keys(schema.entries), where);
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = (issue.path ?? []).map((item) => truncate(String(item.key))).join('.');
  throw new EventError(`${where}${path}`.replace(/\.$/, '') || 'event', issue.message);
}

/** Turn the raw event into a RunRequest, or throw EventError naming the field. */
export function parseEvent(event: unknown): RunRequest {
  const record = requireObject(event, 'event', 'a JSON object');
  if (Object.hasOwn(record, 'detail-type')) return parseBusEvent(record, '');
  return parseManualEvent(record);
}

/** An event from an event bus: the schedule's, or CloudTrail's CreateLogGroup. `where` prefixes field names. */
function parseBusEvent(event: Record<string, unknown>, where: string): RunRequest {
  rejectUnknownFields(event, Object.keys(envelopeEntries), where);
  const detailType = event['detail-type'];
  if (detailType === 'Scheduled Event') return parseScheduledEvent(event, where);
  if (detailType === 'AWS API Call via CloudTrail') {
    if (event.source === 'aws.kms') return parseKeyEvent(event, where);
    return parseCloudTrailEvent(event, where);
  }
  throw new EventError(
    `${where}detail-type`,
    `expected "Scheduled Event" or "AWS API Call via CloudTrail", got ${describe(detailType)}`,
  );
}

function parseScheduledEvent(event: Record<string, unknown>, where: string): RunRequest {
  parseWith(scheduledSchema, event, where, false);
  return { trigger: 'scheduled' };
}

/**
 * A CloudTrail "AWS API Call" event for logs:CreateLogGroup, delivered by EventBridge, whoever
 * made the call (a person, or a service such as RDS or Lambda on their behalf).
 */
function parseCloudTrailEvent(event: Record<string, unknown>, where: string): RunRequest {
  if (isObject(event.detail)) refuseOurFields(event.detail, `${where}detail.`);
  const { detail } = parseWith(cloudTrailSchema, event, where, false);
  // A call that failed created nothing; CloudTrail records it all the same, with its errorCode.
  if (typeof detail.errorCode === 'string' && detail.errorCode !== '') {
    return { trigger: 'cloudtrail', ignored: `CreateLogGroup failed (${truncate(detail.errorCode)})` };
  }
  const parameters = isObject(detail.requestParameters) ? detail.requestParameters : undefined;
  if (!parameters) {
    throw new EventError(
      `${where}detail.requestParameters`,
      'expected the CreateLogGroup parameters as an object',
    );
  }
  const { logGroupName, kmsKeyId } = parseWith(
    createLogGroupSchema,
    parameters,
    `${where}detail.requestParameters.`,
    false,
  );
  if (typeof kmsKeyId === 'string' && kmsKeyId !== '') {
    return {
      trigger: 'cloudtrail',
      ignored: `${logGroupName} was created with a KMS key`,
      createdWithKey: { logGroupName, eventTime: detail.eventTime },
    };
  }
  return { trigger: 'cloudtrail', createdLogGroup: { logGroupName, eventTime: detail.eventTime } };
}

/**
 * A CloudTrail record of kms:DisableKey, ScheduleKeyDeletion or PutKeyPolicy: any of them can cut
 * CloudWatch Logs off from a key, so it asks for an ordinary run (a sweep, through Step Functions)
 * that audits every key in use, and says which call started it.
 */
function parseKeyEvent(event: Record<string, unknown>, where: string): RunRequest {
  if (isObject(event.detail)) refuseOurFields(event.detail, `${where}detail.`);
  const { detail } = parseWith(keyEventSchema, event, where, false);
  // A call that failed changed no key; CloudTrail records it all the same, with its errorCode.
  if (typeof detail.errorCode === 'string' && detail.errorCode !== '') {
    return { trigger: 'cloudtrail', ignored: `${detail.eventName} failed (${truncate(detail.errorCode)})` };
  }
  const arn = detail.resources?.find((resource) => resource.ARN !== undefined)?.ARN;
  const keyId = arn ?? keyIdOfRequest(detail.requestParameters, `${where}detail.requestParameters`);
  return {
    trigger: 'cloudtrail',
    keyEvent: { eventName: detail.eventName, keyId, eventTime: detail.eventTime },
  };
}

/** The keyId a KMS call was given: where the record names no key ARN in its resources. */
function keyIdOfRequest(parameters: unknown, where: string): string {
  if (!isObject(parameters)) {
    throw new EventError(
      where,
      'expected the parameters of the KMS call as an object (no key ARN in detail.resources)',
    );
  }
  return parseWith(keyRequestSchema, parameters, `${where}.`, false).keyId;
}

/**
 * CloudTrail adds fields to its records in minor versions and asks applications to ignore them
 * (CloudTrail User Guide, "CloudTrail record contents", eventVersion). So the record's other
 * fields are not held to a list; but a field named like one of ours (`dryRun`, `report`, …) is a
 * hand-made event, and is refused.
 */
function refuseOurFields(detail: Record<string, unknown>, where: string): void {
  for (const field of Object.keys(detail)) {
    const ours = suggestField(field);
    if (ours) throw new EventError(`${where}${truncate(field)}`, `a CloudTrail record has no ${ours} field`);
  }
}

function parseManualEvent(event: Record<string, unknown>): RunRequest {
  const { resumeToken, sweep, start: _start, ...intent } = parseWith(manualSchema, event, '', true);
  const request: RunRequest = { trigger: 'manual', ...definedOnly(intent) };
  if (resumeToken !== undefined) Object.assign(request, parseResume(event, resumeToken));
  if (sweep !== undefined) request.sweep = { state: parseSweepState(sweep) };
  if (event.start !== undefined) Object.assign(request, parseSweepStart(event));
  return request;
}

/** Leave out the fields that are absent, so that a request lists only what was asked. */
function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * A resumed run does what the token says it was doing. A field of the event that says
 * otherwise is refused rather than obeyed or ignored: either would surprise someone.
 */
function parseResume(event: Record<string, unknown>, token: string): Partial<RunRequest> {
  const { position, intent } = decodeResumeToken(token);
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
    if (request.keyEvent) return { keyEvent: request.keyEvent };
    if (request.ignored)
      throw new EventError('start.detail.errorCode', `${request.ignored}: nothing to sweep for`);
    if (request.trigger !== 'scheduled') {
      throw new EventError(
        'start.detail-type',
        'a sweep starts from a Scheduled Event, a KMS key event or a manual request',
      );
    }
    return {};
  }
  for (const field of INTENT_FIELDS) {
    if (event[field] !== undefined) throw new EventError(field, 'give it in start, the input of the sweep');
  }
  return definedOnly(parseWith(intentSchema, start, 'start.', true));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, field: string, what: string): Record<string, unknown> {
  if (!isObject(value)) throw new EventError(field, `expected ${what}, got ${describe(value)}`);
  return value;
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

/**
 * A group created encrypted is left alone, unless OTHER_KEYS=report or reassociate asks whether its
 * key is the target: then it is looked at like any new group (one DescribeLogGroups, the key audit).
 */
export function lookAtGroupsCreatedEncrypted(request: RunRequest, otherKeys: OtherKeysMode): RunRequest {
  if (!request.createdWithKey || otherKeys === 'allow') return request;
  return { trigger: request.trigger, createdLogGroup: request.createdWithKey };
}
