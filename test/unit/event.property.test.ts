import fc from 'fast-check';
import { EventError } from '../../lib/errors';
import { parseEvent, type RunRequest } from '../../lib/event';
import { decodeResumeToken, encodeResumeToken, type ScanPosition } from '../../lib/resume-token';

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

/** The position a resumeToken value names, or undefined when it is not a token this function could have issued. */
function positionOf(value: unknown): ScanPosition | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  let position: ScanPosition;
  try {
    position = decodeResumeToken(value);
  } catch {
    return undefined;
  }
  // The function only issues tokens for sweeps whose prefix the event itself could carry.
  if (position.logGroupNamePrefix !== undefined && !isPrefix(position.logGroupNamePrefix)) return undefined;
  return position;
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
      return positionOf(value) !== undefined;
  }
}

/** A prefix given next to a token must be the token's own. */
function prefixConflicts(event: Record<string, unknown>): boolean {
  const position = positionOf(event.resumeToken);
  return (
    position !== undefined &&
    event.logGroupNamePrefix !== undefined &&
    event.logGroupNamePrefix !== position.logGroupNamePrefix
  );
}

/** The request a value should produce, or undefined when it should be rejected. Defined independently of lib/event. */
function expectedRequest(value: unknown): RunRequest | undefined {
  if (!isPlainObject(value)) return undefined;
  if (value['detail-type'] === 'Scheduled Event' && value.source === 'aws.events') {
    return { trigger: 'scheduled' };
  }
  const keys = Object.keys(value);
  if (!keys.every((key) => isAllowed(key) && isValidValue(key, value[key])) || prefixConflicts(value)) {
    return undefined;
  }
  const { resumeToken, ...overrides } = value;
  const request: RunRequest = { trigger: 'manual', ...overrides };
  const position = positionOf(resumeToken);
  if (position !== undefined) {
    request.resumeFrom = position;
    if (position.logGroupNamePrefix !== undefined) request.logGroupNamePrefix = position.logGroupNamePrefix;
  }
  return request;
}

/** The fields parseEvent may blame for rejecting `value`. */
function blameableFields(value: unknown): string[] {
  if (!isPlainObject(value)) return ['event'];
  const unknown = Object.keys(value).find((key) => !isAllowed(key));
  if (unknown !== undefined) return [unknown];
  const invalid: string[] = ALLOWED.filter((field) => field in value && !isValidValue(field, value[field]));
  return prefixConflicts(value) ? [...invalid, 'logGroupNamePrefix'] : invalid;
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

const positionArb = (prefix: fc.Arbitrary<string | undefined>): fc.Arbitrary<ScanPosition> =>
  fc
    .tuple(fc.nat(), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), prefix)
    .map(([skip, pageToken, logGroupNamePrefix]) => ({
      skip,
      ...(pageToken !== undefined ? { pageToken } : {}),
      ...(logGroupNamePrefix !== undefined ? { logGroupNamePrefix } : {}),
    }));

/** Tokens as a report hands them out; one in four carries a prefix, which then rules out most event prefixes. */
const tokenArb = positionArb(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('/aws/rds/', '/aws/lambda/', 'a') },
  ),
).map(encodeResumeToken);

/** The longest genuine token the event accepts (4,096 characters), and one just over. */
function tokensAroundTheLimit(): [string, string] {
  let n = 0;
  while (encodeResumeToken({ skip: 0, pageToken: 'p'.repeat(n + 1) }).length <= 4096) n++;
  return [
    encodeResumeToken({ skip: 0, pageToken: 'p'.repeat(n) }),
    encodeResumeToken({ skip: 0, pageToken: 'p'.repeat(n + 1) }),
  ];
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
        v: fc.constantFrom(0, 1, 2, '1'),
        s: fc.constantFrom(-1, 0, 1.5, '3'),
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
    'detail-type': fc.constantFrom('Scheduled Event', 'Object Created', 'scheduled event'),
    source: fc.constantFrom('aws.events', 'aws.s3', 'custom'),
    id: fc.uuid(),
  })
  .chain((base) =>
    fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
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
        fc.constant({ event, position: undefined }),
        positionArb(
          event.logGroupNamePrefix !== undefined
            ? fc.constant(event.logGroupNamePrefix)
            : fc.option(prefixArb, { nil: undefined }),
        ).map((position) => ({ event: { ...event, resumeToken: encodeResumeToken(position) }, position })),
      ),
    );

  it('carries every field of a valid manual event into the request unchanged', () => {
    fc.assert(
      fc.property(validManualEventArb, ({ event, position }) => {
        casesRun++;
        // Act
        const request = parseEvent(event);

        // Assess
        expect(request.trigger).toBe('manual');
        expect(request.dryRun).toBe(event.dryRun);
        expect(request.maxRemediations).toBe(event.maxRemediations);
        expect(request.report).toBe(event.report);
        expect(request.logGroupNamePrefix).toBe(event.logGroupNamePrefix ?? position?.logGroupNamePrefix);
        expect(request.resumeFrom).toEqual(position);
        const plain = Object.keys(event).filter((key) => key !== 'resumeToken');
        const expectedKeys = [...plain, ...(position ? ['resumeFrom'] : [])];
        if (position?.logGroupNamePrefix !== undefined && !plain.includes('logGroupNamePrefix')) {
          expectedKeys.push('logGroupNamePrefix');
        }
        expect(Object.keys(request).sort()).toEqual(['trigger', ...expectedKeys].sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
