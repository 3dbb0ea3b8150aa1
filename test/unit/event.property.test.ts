import fc from 'fast-check';
import { EventError } from '../../lib/core/errors';
import { parseEvent, type RunRequest } from '../../lib/core/event';
import { decodeResumeToken, encodeResumeToken, type ResumePoint } from '../../lib/core/resume-token';

const NUM_RUNS = 1_000;
const ALLOWED = ['dryRun', 'logGroupNamePrefix', 'maxRemediations', 'report', 'resumeToken'] as const;
type Allowed = (typeof ALLOWED)[number];

// The characters DescribeLogGroups allows in logGroupNamePrefix, spelled out rather than as a regex.
const PREFIX_CHARS = [
  ...'.-_/#',
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'0123456789',
];

let casesRun = 0;

afterAll(() => {
  console.log(`event property tests: ${casesRun} cases`);
});

function isAllowed(key: string): key is Allowed {
  return (ALLOWED as readonly string[]).includes(key);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrefix(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= 512 &&
    [...value].every((c) => PREFIX_CHARS.includes(c))
  );
}

/** What a resumeToken value carries, or undefined when it is not a token this function could have issued. */
function resumePointOf(value: unknown): ResumePoint | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  let point: ResumePoint;
  try {
    point = decodeResumeToken(value);
  } catch {
    return undefined;
  }
  // The function only issues tokens for runs whose prefix the event itself could carry.
  const prefix = point.intent.logGroupNamePrefix;
  if (prefix !== undefined && !isPrefix(prefix)) return undefined;
  return point;
}

/** Whether `value` is acceptable for `field` on its own, from the documented contract. */
function isValidValue(field: Allowed, value: unknown): boolean {
  switch (field) {
    case 'dryRun':
      return value === true || value === false;
    case 'logGroupNamePrefix':
      return isPrefix(value);
    case 'maxRemediations':
      return (
        typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= Number.MAX_SAFE_INTEGER
      );
    case 'report':
      return value === 'always' || value === 'findings';
    case 'resumeToken':
      return resumePointOf(value) !== undefined;
  }
}

/**
 * The fields of an event that contradict its token: a resumed run does what its token says, so
 * dryRun, report and the prefix may only repeat the token's, and maxRemediations may not be given.
 */
function tokenConflicts(event: Record<string, unknown>): string[] {
  const point = resumePointOf(event.resumeToken);
  if (point === undefined) return [];
  const { intent } = point;
  const differs = (field: 'dryRun' | 'report' | 'logGroupNamePrefix', tokenValue: unknown) =>
    event[field] !== undefined && event[field] !== tokenValue;
  return [
    ...(differs('dryRun', intent.dryRun) ? ['dryRun'] : []),
    ...(differs('report', intent.report) ? ['report'] : []),
    ...(differs('logGroupNamePrefix', intent.logGroupNamePrefix) ? ['logGroupNamePrefix'] : []),
    ...(event.maxRemediations !== undefined ? ['maxRemediations'] : []),
  ];
}

// The metadata fields of an EventBridge event (EventBridge User Guide, event structure).
const ENVELOPE = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A Scheduled Event with nothing but its documented fields: the only bus event these tests generate. */
function isScheduledEvent(value: Record<string, unknown>): boolean {
  const detailEmpty =
    value.detail === undefined || (isPlainObject(value.detail) && Object.keys(value.detail).length === 0);
  const timeOk = value.time === undefined || (typeof value.time === 'string' && ISO.test(value.time));
  return (
    Object.keys(value).every((key) => ENVELOPE.includes(key) || key === 'replay-name') &&
    value['detail-type'] === 'Scheduled Event' &&
    value.source === 'aws.events' &&
    detailEmpty &&
    timeOk
  );
}

/** The request a value should produce, or undefined when it should be rejected. Defined independently of lib/event. */
function expectedRequest(value: unknown): RunRequest | undefined {
  if (!isPlainObject(value)) return undefined;
  if ('detail-type' in value) return isScheduledEvent(value) ? { trigger: 'scheduled' } : undefined;
  const keys = Object.keys(value);
  if (
    !keys.every((key) => isAllowed(key) && isValidValue(key, value[key])) ||
    tokenConflicts(value).length > 0
  ) {
    return undefined;
  }
  const { resumeToken, ...overrides } = value;
  const request: RunRequest = { trigger: 'manual', ...overrides };
  const point = resumePointOf(resumeToken);
  if (point !== undefined) {
    const { intent } = point;
    request.resumeFrom = point.position;
    request.dryRun = intent.dryRun;
    request.report = intent.report;
    if (intent.logGroupNamePrefix !== undefined) request.logGroupNamePrefix = intent.logGroupNamePrefix;
    if (intent.remediationsLeft !== undefined) request.maxRemediations = intent.remediationsLeft;
  }
  return request;
}

/** The fields parseEvent may blame for rejecting `value`. */
function blameableFields(value: unknown): string[] {
  if (!isPlainObject(value)) return ['event'];
  if ('detail-type' in value) {
    // Any field of a bus event that is not a Scheduled Event's, with the right value, is to blame.
    const inDetail = isPlainObject(value.detail)
      ? Object.keys(value.detail).map((key) => `detail.${key}`)
      : [];
    const envelope = ['detail-type', 'source', 'time', 'detail'];
    return [...Object.keys(value).filter((key) => !ENVELOPE.includes(key)), ...envelope, ...inDetail];
  }
  const unknown = Object.keys(value).find((key) => !isAllowed(key));
  if (unknown !== undefined) return [unknown];
  const invalid: string[] = ALLOWED.filter((field) => field in value && !isValidValue(field, value[field]));
  return [...invalid, ...tokenConflicts(value)];
}

function parseOutcome(value: unknown): { request: RunRequest } | { error: unknown } {
  try {
    return { request: parseEvent(value) };
  } catch (error) {
    return { error };
  }
}

/** Check parseEvent against the independent definition: same request, or an EventError naming a guilty field. */
function expectAgreement(event: unknown, seen: { accepted: number; rejected: number }): void {
  // Prepare
  const expected = expectedRequest(event);

  // Act
  const outcome = parseOutcome(event);

  // Assess
  if (expected !== undefined) {
    seen.accepted++;
    expect(outcome).toEqual({ request: expected });
    return;
  }
  seen.rejected++;
  expect('error' in outcome).toBe(true);
  if (!('error' in outcome)) return;
  expect(outcome.error).toBeInstanceOf(EventError);
  const field = (outcome.error as EventError).field;
  // A long unknown name is shortened to 77 characters and an ellipsis.
  const guilty = blameableFields(event).some(
    (f) => f === field || (f.length > 80 && field === `${f.slice(0, 77)}...`),
  );
  expect(guilty).toBe(true);
}

const prefixArb = fc
  .array(fc.constantFrom(...PREFIX_CHARS), { minLength: 1, maxLength: 512 })
  .map((chars) => chars.join(''));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const resumePointArb = (prefix: fc.Arbitrary<string | undefined>): fc.Arbitrary<ResumePoint> =>
  fc
    .tuple(
      optional(fc.string({ maxLength: 40 })),
      optional(prefixArb),
      fc.boolean(),
      optional(fc.nat({ max: 1_000 })),
      prefix,
      fc.constantFrom('always' as const, 'findings' as const),
    )
    .map(([pageToken, after, dryRun, remediationsLeft, logGroupNamePrefix, report]) => ({
      position: {
        ...(pageToken !== undefined ? { pageToken } : {}),
        ...(after !== undefined ? { after } : {}),
      },
      intent: {
        dryRun,
        report,
        ...(remediationsLeft !== undefined ? { remediationsLeft } : {}),
        ...(logGroupNamePrefix !== undefined ? { logGroupNamePrefix } : {}),
      },
    }));

/** A token's payload with every field in place, for tokens built by hand. */
const tokenWithPageToken = (pageToken: string) =>
  encodeResumeToken({ position: { pageToken }, intent: { dryRun: true, report: 'findings' } });

/** Tokens as a report hands them out; one in four carries a prefix, which then rules out most event prefixes. */
const tokenArb = resumePointArb(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('/aws/rds/', '/aws/lambda/', 'a') },
  ),
).map(encodeResumeToken);

/** The longest genuine token the event accepts (4,096 characters), and one just over. */
function tokensAroundTheLimit(): [string, string] {
  let n = 0;
  while (tokenWithPageToken('p'.repeat(n + 1)).length <= 4096) n++;
  return [tokenWithPageToken('p'.repeat(n)), tokenWithPageToken('p'.repeat(n + 1))];
}
const [LONGEST_TOKEN, TOO_LONG_TOKEN] = tokensAroundTheLimit();

const validValueArb: Record<Allowed, fc.Arbitrary<unknown>> = {
  dryRun: fc.boolean(),
  logGroupNamePrefix: fc.oneof(prefixArb, fc.constantFrom('/aws/rds/', '/aws/lambda/', 'a')),
  maxRemediations: fc.oneof(
    fc.integer({ min: 1, max: 1_000 }),
    fc.maxSafeNat().filter((n) => n >= 1),
  ),
  report: fc.constantFrom('always', 'findings'),
  resumeToken: tokenArb,
};

/** Values that are right for some field, nearly right, or plain wrong. */
const fieldishValueArb = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.boolean(),
  fc.integer({ min: -3, max: 10 }),
  fc.double(),
  prefixArb,
  fc.string({ maxLength: 20 }),
);

/** Values just outside (or just inside) each field's contract. */
const boundaryValueArb: Record<Allowed, fc.Arbitrary<unknown>> = {
  dryRun: fc.constantFrom('true', 'false', 1, 0, null, [], {}),
  logGroupNamePrefix: fc.constantFrom(
    '',
    'x'.repeat(512),
    'x'.repeat(513),
    ' /aws',
    '/aws/ ',
    '/aws/*',
    'é',
    null,
    7,
  ),
  maxRemediations: fc.constantFrom(
    0,
    -0,
    -1,
    1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    '5',
    null,
    true,
  ),
  report: fc.constantFrom('ALWAYS', 'Findings', 'never', '', null, true),
  resumeToken: fc.oneof(
    fc.constantFrom('', 'not-a-token', 'A'.repeat(4_097), null, 0, {}, LONGEST_TOKEN, TOO_LONG_TOKEN),
    tokenArb.map((token) => `${token}!`),
    tokenArb.map((token) => token.slice(1)),
    fc
      .record({
        v: fc.constantFrom(0, 1, 2, 3, '2'),
        d: fc.constantFrom(true, 'true', 1, undefined),
        m: fc.constantFrom(-1, 0, 1.5, '3', undefined),
        r: fc.constantFrom('always', 'never', undefined),
        t: fc.constantFrom(5, 'x'),
      })
      .map((payload) => Buffer.from(JSON.stringify(payload)).toString('base64url')),
  ),
};

const fieldValueArb = (field: Allowed) =>
  fc.oneof(
    { weight: 4, arbitrary: validValueArb[field] },
    { weight: 2, arbitrary: boundaryValueArb[field] },
    { weight: 1, arbitrary: fieldishValueArb },
  );

/** Some of the allowed fields with near-valid values, sometimes with strangers before or after them. */
const candidateObjectArb = fc
  .tuple(
    fc.record(
      {
        dryRun: fieldValueArb('dryRun'),
        logGroupNamePrefix: fieldValueArb('logGroupNamePrefix'),
        maxRemediations: fieldValueArb('maxRemediations'),
        report: fieldValueArb('report'),
        resumeToken: fieldValueArb('resumeToken'),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(
          fc.oneof(fc.constantFrom('detail-type', 'source', 'dryrun', 'token'), fc.string({ maxLength: 12 })),
          fieldishValueArb,
          { minKeys: 1, maxKeys: 2 },
        ),
      },
    ),
    fc.boolean(),
  )
  .map(([allowed, strangers, strangersFirst]) =>
    strangersFirst ? { ...strangers, ...allowed } : { ...allowed, ...strangers },
  );

const scheduledLikeArb = fc
  .record({
    'detail-type': fc.constantFrom('Scheduled Event', 'Scheduled Event', 'Object Created', 'scheduled event'),
    source: fc.constantFrom('aws.events', 'aws.events', 'aws.s3', 'custom'),
    id: fc.uuid(),
    time: fc.constantFrom('2025-01-06T03:00:00Z', '2025-01-06T03:00:00.123+01:00', '1', '2025-01-06'),
    detail: fc.constantFrom({}, {}, { dryRun: true }, [], 'x'),
  })
  .chain((base) =>
    fc
      .oneof(
        fc.constant({}),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom('dryRun', 'region', 'account', 'replay-name'),
            fc.string({ maxLength: 12 }),
          ),
          fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 3 },
        ),
      )
      .map((extra) => ({ ...extra, ...base })),
  );

const anyEventArb = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue() },
  { weight: 3, arbitrary: candidateObjectArb },
  { weight: 1, arbitrary: scheduledLikeArb },
);

type Mutation = 'case' | 'underscore' | 'deletion';
interface KeyChoice {
  key: string;
  origin: Allowed;
  mutation: Mutation | 'exact';
}

const toggleCase = (c: string) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase());

/** Misspellings of an allowed name: a case change, an added underscore, or one character left out. */
const nearMissArb = (origin: Allowed): fc.Arbitrary<KeyChoice> =>
  fc.oneof(
    fc
      .oneof(
        fc
          .nat({ max: origin.length - 1 })
          .map((i) => origin.slice(0, i) + toggleCase(origin[i] ?? '') + origin.slice(i + 1)),
        fc.constantFrom(
          origin.toLowerCase(),
          origin.toUpperCase(),
          origin[0]?.toUpperCase() + origin.slice(1),
        ),
      )
      .map((key) => ({ key, origin, mutation: 'case' as const })),
    fc
      .oneof(
        fc.nat({ max: origin.length }).map((i) => `${origin.slice(0, i)}_${origin.slice(i)}`),
        fc.constant(origin.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
      )
      .map((key) => ({ key, origin, mutation: 'underscore' as const })),
    fc.nat({ max: origin.length - 1 }).map((i) => ({
      key: origin.slice(0, i) + origin.slice(i + 1),
      origin,
      mutation: 'deletion' as const,
    })),
  );

const keyChoiceArb: fc.Arbitrary<KeyChoice> = fc
  .constantFrom(...ALLOWED)
  .chain((origin) =>
    fc.oneof(fc.constant<KeyChoice>({ key: origin, origin, mutation: 'exact' }), nearMissArb(origin)),
  );

describe('parseEvent properties', () => {
  it('accepts exactly the valid events, and rejects everything else with an EventError naming a guilty field', () => {
    const seen = { accepted: 0, rejected: 0 };

    fc.assert(
      fc.property(anyEventArb, (event) => {
        casesRun++;
        expectAgreement(event, seen);
      }),
      { numRuns: NUM_RUNS },
    );

    // Both directions must actually have been exercised.
    expect(seen.accepted).toBeGreaterThan(NUM_RUNS / 100);
    expect(seen.rejected).toBeGreaterThan(NUM_RUNS / 100);
  });

  it('rejects an object whenever a key is not exactly an allowed name, suggesting the name it nearly spells', () => {
    const seen = { accepted: 0, rejected: 0 };

    fc.assert(
      fc.property(
        fc.array(
          keyChoiceArb.chain((choice) => validValueArb[choice.origin].map((value) => ({ ...choice, value }))),
          { minLength: 1, maxLength: 6 },
        ),
        (entries) => {
          casesRun++;
          // Prepare: a misspelt key carries the value that would be valid under the name it misspells.
          const event: Record<string, unknown> = {};
          for (const { key, value } of entries) event[key] = value;
          const firstStranger = Object.keys(event).find((key) => !isAllowed(key));

          if (firstStranger === undefined) {
            // Only exact names: parseEvent must agree with the definition (a token may still contradict a prefix).
            expectAgreement(event, seen);
            return;
          }

          // Act
          const outcome = parseOutcome(event);

          // Assess
          seen.rejected++;
          expect('error' in outcome).toBe(true);
          if (!('error' in outcome)) return;
          const error = outcome.error as EventError;
          expect(error).toBeInstanceOf(EventError);
          expect(error.field).toBe(firstStranger);
          expect(error.message).toContain(firstStranger);
          const choice = entries.find((e) => e.key === firstStranger);
          if (choice?.mutation === 'case' || choice?.mutation === 'underscore') {
            expect(error.message).toContain(`did you mean ${choice.origin}?`);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );

    expect(seen.accepted).toBeGreaterThan(NUM_RUNS / 100);
    expect(seen.rejected).toBeGreaterThan(NUM_RUNS / 100);
  });

  /** Valid manual events: any of the plain overrides, and maybe a token for the same sweep. */
  const validManualEventArb = fc
    .record(
      {
        dryRun: validValueArb.dryRun,
        logGroupNamePrefix: prefixArb,
        maxRemediations: validValueArb.maxRemediations,
        report: validValueArb.report,
      },
      { requiredKeys: [] },
    )
    .chain((event) =>
      fc.oneof(
        fc.constant({ event, point: undefined as ResumePoint | undefined }),
        resumePointArb(
          event.logGroupNamePrefix !== undefined
            ? fc.constant(event.logGroupNamePrefix)
            : fc.option(prefixArb, { nil: undefined }),
        ).map((point) => {
          // Next to a token, an event may only repeat what the token says.
          const { maxRemediations: _left, ...rest } = event;
          const repeated = { ...rest, dryRun: point.intent.dryRun, report: point.intent.report };
          return { event: { ...repeated, resumeToken: encodeResumeToken(point) }, point };
        }),
      ),
    );

  it('carries every field of a valid manual event into the request unchanged', () => {
    fc.assert(
      fc.property(validManualEventArb, ({ event, point }) => {
        casesRun++;
        // Act
        const request = parseEvent(event);

        // Assess
        const given = event as Record<string, unknown>;
        const intent = point?.intent;
        expect(request.trigger).toBe('manual');
        expect(request.dryRun).toBe(given.dryRun);
        expect(request.maxRemediations).toBe(point ? intent?.remediationsLeft : given.maxRemediations);
        expect(request.report).toBe(given.report);
        expect(request.logGroupNamePrefix).toBe(given.logGroupNamePrefix ?? intent?.logGroupNamePrefix);
        expect(request.resumeFrom).toEqual(point?.position);
        const plain = Object.keys(event).filter((key) => key !== 'resumeToken' && given[key] !== undefined);
        const expectedKeys = new Set([...plain, ...(point ? ['resumeFrom'] : [])]);
        if (intent?.logGroupNamePrefix !== undefined) expectedKeys.add('logGroupNamePrefix');
        if (intent?.remediationsLeft !== undefined) expectedKeys.add('maxRemediations');
        expect(Object.keys(request).sort()).toEqual(['trigger', ...expectedKeys].sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('parseEvent properties: CloudTrail KMS key events', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const ALIAS = 'arn:aws:kms:us-east-1:123456789012:alias/logs';
  const TAKEN = ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy'];
  type Resource = { ARN?: string; accountId?: string; type?: string };

  const keyEventArb = fc.record({
    eventName: fc.constantFrom(...TAKEN, 'EnableKey', 'CancelKeyDeletion', 'disablekey'),
    resources: fc.constantFrom<Resource[] | undefined>(
      undefined,
      [],
      [{ ARN: KEY, accountId: '123456789012' }],
      [{ accountId: '123456789012' }, { ARN: KEY, type: 'AWS::KMS::Key' }],
      [{ ARN: ALIAS }],
    ),
    requestParameters: fc.constantFrom<{ keyId?: string } | null | undefined>(
      undefined,
      null,
      {},
      { keyId: 'abc' },
      { keyId: '' },
    ),
    errorCode: fc.constantFrom(undefined, null, '', 'AccessDenied'),
  });

  /** What the event should give, defined from the contract rather than from lib/core/event. */
  function expectedOf(d: {
    eventName: string;
    resources: Resource[] | undefined;
    requestParameters: { keyId?: string } | null | undefined;
    errorCode: string | null | undefined;
  }): { request: RunRequest } | { field: string } {
    if (!TAKEN.includes(d.eventName)) return { field: 'detail.eventName' };
    const aliasAt = (d.resources ?? []).findIndex((r) => r.ARN === ALIAS);
    if (aliasAt >= 0) return { field: `detail.resources.${aliasAt}.ARN` };
    if (typeof d.errorCode === 'string' && d.errorCode !== '') {
      return { request: { trigger: 'cloudtrail', ignored: `${d.eventName} failed (${d.errorCode})` } };
    }
    const keyId = d.resources?.find((r) => r.ARN !== undefined)?.ARN ?? d.requestParameters?.keyId;
    if (keyId === undefined || keyId === '') {
      return { field: d.requestParameters ? 'detail.requestParameters.keyId' : 'detail.requestParameters' };
    }
    return {
      request: {
        trigger: 'cloudtrail',
        keyEvent: { eventName: d.eventName as 'DisableKey', keyId, eventTime: '2026-11-30T11:42:08Z' },
      },
    };
  }

  it('reads the key from resources[] before requestParameters, ignores failed calls, and names the field it rejects', () => {
    fc.assert(
      fc.property(keyEventArb, (detail) => {
        casesRun++;
        // Prepare
        const event = {
          'detail-type': 'AWS API Call via CloudTrail',
          source: 'aws.kms',
          detail: {
            eventSource: 'kms.amazonaws.com',
            eventTime: '2026-11-30T11:42:08Z',
            ...Object.fromEntries(Object.entries(detail).filter(([, value]) => value !== undefined)),
          },
        };
        const expected = expectedOf(detail);

        // Act
        const outcome = parseOutcome(event);

        // Assess
        if ('request' in expected) {
          expect(outcome).toEqual({ request: expected.request });
        } else {
          expect('error' in outcome && (outcome.error as EventError).field).toBe(expected.field);
        }
      }),
      { numRuns: 300 },
    );
  });
});
