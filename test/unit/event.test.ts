import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventError, RemediatorError } from '../../lib/core/errors';
import { parseEvent } from '../../lib/core/event';
import { encodeResumeToken, type RunIntent, type ScanPosition } from '../../lib/core/resume-token';

/** An EventBridge Scheduled Event, as the schedule rule delivers it. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-06T03:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/logs-kms-remediator-dev-schedule'],
  detail: {},
};

const SAMPLE_PATH = join(__dirname, '..', '..', 'events', 'scheduled.json');
const scheduledSamples: [string, unknown][] = [['an inline Scheduled Event', SCHEDULED_EVENT]];
if (existsSync(SAMPLE_PATH)) {
  scheduledSamples.push(['events/scheduled.json', JSON.parse(readFileSync(SAMPLE_PATH, 'utf8'))]);
}

/** Run parseEvent and return the EventError it throws; fail the test if it throws anything else or nothing. */
function eventErrorFrom(event: unknown): EventError {
  let thrown: unknown;
  try {
    parseEvent(event);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(EventError);
  return thrown as EventError;
}

describe('parseEvent', () => {
  describe('scheduled events', () => {
    it.each(scheduledSamples)('reads %s as a scheduled run with no overrides', (_source, event) => {
      expect(parseEvent(event)).toEqual({ trigger: 'scheduled' });
    });

    it('reads a replayed Scheduled Event, which carries replay-name', () => {
      expect(parseEvent({ ...SCHEDULED_EVENT, 'replay-name': 'replay-1' })).toEqual({ trigger: 'scheduled' });
    });

    it.each([
      ['dryRun', { ...SCHEDULED_EVENT, dryRun: true }, 'dryRun'],
      ['a typo of dryRun', { ...SCHEDULED_EVENT, dryrun: true }, 'dryrun'],
      ['maxRemediations', { ...SCHEDULED_EVENT, maxRemediations: 1 }, 'maxRemediations'],
      ['a field in detail', { ...SCHEDULED_EVENT, detail: { dryRun: true } }, 'detail.dryRun'],
      ['a detail that is not an object', { ...SCHEDULED_EVENT, detail: 'x' }, 'detail'],
      ['a time that is not ISO 8601', { ...SCHEDULED_EVENT, time: '1' }, 'time'],
    ])('rejects a scheduled event with %s, naming the field, rather than drop it', (_case, event, field) => {
      const error = eventErrorFrom(event);

      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });

    it('suggests the field a scheduled event’s typo nearly spells', () => {
      expect(eventErrorFrom({ ...SCHEDULED_EVENT, dry_run: true }).message).toContain('did you mean dryRun?');
    });

    it.each([
      ['another detail-type', { ...SCHEDULED_EVENT, 'detail-type': 'Object Created' }, 'detail-type'],
      ['another source', { ...SCHEDULED_EVENT, source: 'aws.s3' }, 'source'],
    ])('does not take an event with %s for a scheduled one', (_case, event, field) => {
      const error = eventErrorFrom(event);

      expect(error.field).toBe(field);
    });
  });

  describe('CloudTrail KMS key events', () => {
    type KeyEventSample = Record<string, unknown> & { detail: Record<string, unknown> };
    const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const KEY_DISABLED = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'events', 'key-disabled.json'), 'utf8'),
    ) as KeyEventSample;
    const withDetail = (detail: Record<string, unknown>): KeyEventSample => ({
      ...KEY_DISABLED,
      detail: { ...KEY_DISABLED.detail, ...detail },
    });
    /** The record as an older CloudTrail wrote it: a resource with no type (KMS Developer Guide, ct-disablekey). */
    const untypedResource = [{ ARN: KEY_ARN, accountId: '123456789012' }];

    it('reads events/key-disabled.json as an ordinary run that names the call, the key ARN and the time', () => {
      expect(parseEvent(KEY_DISABLED)).toEqual({
        trigger: 'cloudtrail',
        keyEvent: { eventName: 'DisableKey', keyId: KEY_ARN, eventTime: '2026-11-30T11:42:08Z' },
      });
    });

    it.each<[string, Record<string, unknown>, { eventName: string; keyId: string }]>([
      [
        'ScheduleKeyDeletion',
        { eventName: 'ScheduleKeyDeletion', requestParameters: { keyId: 'k', pendingWindowInDays: 7 } },
        { eventName: 'ScheduleKeyDeletion', keyId: KEY_ARN },
      ],
      [
        'PutKeyPolicy',
        { eventName: 'PutKeyPolicy', requestParameters: { keyId: 'k', policyName: 'default', policy: '{}' } },
        { eventName: 'PutKeyPolicy', keyId: KEY_ARN },
      ],
      [
        'a resource with no type',
        { resources: untypedResource },
        { eventName: 'DisableKey', keyId: KEY_ARN },
      ],
      [
        'no resources: the keyId the call was given',
        { resources: undefined, requestParameters: { keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab' } },
        { eventName: 'DisableKey', keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab' },
      ],
      [
        'an empty resources list',
        { resources: [], requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } },
        { eventName: 'DisableKey', keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
      ],
      [
        'a resource without an ARN before the key',
        { resources: [{ accountId: '123456789012' }, ...untypedResource] },
        { eventName: 'DisableKey', keyId: KEY_ARN },
      ],
      [
        'a key of another partition',
        { resources: [{ ARN: 'arn:aws-cn:kms:cn-north-1:123456789012:key/abc' }] },
        { eventName: 'DisableKey', keyId: 'arn:aws-cn:kms:cn-north-1:123456789012:key/abc' },
      ],
      ['a null errorCode', { errorCode: null }, { eventName: 'DisableKey', keyId: KEY_ARN }],
      [
        'a field CloudTrail added in a later minor version',
        { eventVersion: '1.99', someNewField: { x: 1 } },
        { eventName: 'DisableKey', keyId: KEY_ARN },
      ],
    ])('reads a key event with %s', (_case, detail, expected) => {
      expect(parseEvent(withDetail(detail))).toEqual({
        trigger: 'cloudtrail',
        keyEvent: { ...expected, eventTime: '2026-11-30T11:42:08Z' },
      });
    });

    it('says what a missing keyId should have been', () => {
      const error = eventErrorFrom(withDetail({ resources: [], requestParameters: {} }));

      expect(error.message).toMatch(/expected the key id or key ARN .*got nothing/);
    });

    it('ignores a call that failed: it changed no key', () => {
      const request = parseEvent(withDetail({ errorCode: 'AccessDenied', errorMessage: 'no' }));

      expect(request).toEqual({ trigger: 'cloudtrail', ignored: 'DisableKey failed (AccessDenied)' });
    });

    it.each([
      ['EnableKey', 'EnableKey'],
      ['CancelKeyDeletion', 'CancelKeyDeletion'],
      ['Decrypt', 'Decrypt'],
      ['a lower-case name', 'disablekey'],
    ])(
      'rejects another KMS call (%s), naming detail.eventName and the calls it takes',
      (_case, eventName) => {
        const error = eventErrorFrom(withDetail({ eventName }));

        expect(error.field).toBe('detail.eventName');
        expect(error.message).toContain(JSON.stringify(eventName));
        for (const name of ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy'])
          expect(error.message).toContain(name);
      },
    );

    it.each<[string, (e: KeyEventSample) => unknown, string]>([
      ['a dryRun beside the envelope', (e) => ({ ...e, dryRun: true }), 'dryRun'],
      ['an unknown envelope field', (e) => ({ ...e, priority: 'high' }), 'priority'],
      ['a dryRun in the record', () => withDetail({ dryRun: true }), 'detail.dryRun'],
      ['another event source', () => withDetail({ eventSource: 'logs.amazonaws.com' }), 'detail.eventSource'],
      ['no event name', () => withDetail({ eventName: undefined }), 'detail.eventName'],
      [
        'an event time with no time of day',
        () => withDetail({ eventTime: '2026-11-30' }),
        'detail.eventTime',
      ],
      [
        'a record format of another major version',
        () => withDetail({ eventVersion: '2.0' }),
        'detail.eventVersion',
      ],
      ['no detail', (e) => ({ ...e, detail: undefined }), 'detail'],
      ['a detail that is an array', (e) => ({ ...e, detail: [] }), 'detail'],
      [
        'resources that are not an array',
        () => withDetail({ resources: { ARN: KEY_ARN } }),
        'detail.resources',
      ],
      ['a resource that is not an object', () => withDetail({ resources: [KEY_ARN] }), 'detail.resources.0'],
      [
        'a resource ARN that is an alias',
        () => withDetail({ resources: [{ ARN: 'arn:aws:kms:us-east-1:123456789012:alias/x' }] }),
        'detail.resources.0.ARN',
      ],
      [
        'a resource ARN that is a number',
        () => withDetail({ resources: [{ ARN: 7 }] }),
        'detail.resources.0.ARN',
      ],
      [
        'no key ARN and no parameters',
        () => withDetail({ resources: [], requestParameters: null }),
        'detail.requestParameters',
      ],
      [
        'no key ARN and no keyId',
        () => withDetail({ resources: [], requestParameters: {} }),
        'detail.requestParameters.keyId',
      ],
      [
        'no key ARN and an empty keyId',
        () => withDetail({ resources: undefined, requestParameters: { keyId: '' } }),
        'detail.requestParameters.keyId',
      ],
      [
        'no key ARN and a keyId over 2048 characters',
        () => withDetail({ resources: undefined, requestParameters: { keyId: 'k'.repeat(2049) } }),
        'detail.requestParameters.keyId',
      ],
      ['another source', (e) => ({ ...e, source: 'aws.ec2' }), 'source'],
    ])('rejects a malformed key event (%s), naming the field', (_case, mutate, field) => {
      const error = eventErrorFrom(mutate(KEY_DISABLED));

      expect(error.field).toBe(field);
      expect(error.message.length).toBeLessThan(400);
    });
  });

  describe('manual events', () => {
    it('reads {} as a manual run with no overrides', () => {
      const request = parseEvent({});

      expect(request).toEqual({ trigger: 'manual' });
      expect(Object.keys(request)).toEqual(['trigger']);
    });

    it.each([
      ['dryRun true', { dryRun: true }],
      ['dryRun false', { dryRun: false }],
      ['a simple prefix', { logGroupNamePrefix: '/aws/lambda/' }],
      ['a prefix of every allowed character', { logGroupNamePrefix: '.-_/#azAZ09' }],
      ['a one-character prefix', { logGroupNamePrefix: 'a' }],
      ['a 512-character prefix', { logGroupNamePrefix: 'a'.repeat(512) }],
      ['maxRemediations 1', { maxRemediations: 1 }],
      ['a large maxRemediations', { maxRemediations: Number.MAX_SAFE_INTEGER }],
      ['report always', { report: 'always' }],
      ['report findings', { report: 'findings' }],
      [
        'every field at once',
        { dryRun: false, logGroupNamePrefix: '/aws/rds/', maxRemediations: 25, report: 'always' },
      ],
    ])('accepts %s and carries it into the request', (_case, event) => {
      expect(parseEvent(event)).toEqual({ trigger: 'manual', ...event });
    });

    it.each([
      ['dryRun', 'true'],
      ['dryRun', 1],
      ['dryRun', 0],
      ['dryRun', null],
      ['dryRun', {}],
      ['dryRun', []],
      ['logGroupNamePrefix', ''],
      ['logGroupNamePrefix', 'x'.repeat(513)],
      ['logGroupNamePrefix', 'x'.repeat(10_000)],
      ['logGroupNamePrefix', '/aws/my group'],
      ['logGroupNamePrefix', ' /aws/lambda'],
      ['logGroupNamePrefix', '/aws/lambda/*'],
      ['logGroupNamePrefix', '/aws/lambda;'],
      ['logGroupNamePrefix', 'é'],
      ['logGroupNamePrefix', 42],
      ['logGroupNamePrefix', null],
      ['logGroupNamePrefix', ['/aws/']],
      ['maxRemediations', 0],
      ['maxRemediations', -1],
      ['maxRemediations', 1.5],
      ['maxRemediations', Number.POSITIVE_INFINITY],
      ['maxRemediations', Number.NaN],
      ['maxRemediations', Number.MAX_SAFE_INTEGER + 1],
      ['maxRemediations', '5'],
      ['maxRemediations', true],
      ['maxRemediations', null],
      ['report', 'ALWAYS'],
      ['report', 'never'],
      ['report', ''],
      ['report', true],
      ['report', null],
    ])('rejects %s=%p, naming the field', (field, value) => {
      const error = eventErrorFrom({ [field]: value });

      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });

    it('keeps the message short when the bad value is huge', () => {
      const error = eventErrorFrom({ logGroupNamePrefix: 'x'.repeat(10_000) });

      expect(error.message.length).toBeLessThan(300);
    });

    it('rejects the first bad field when several are bad', () => {
      const error = eventErrorFrom({ dryRun: 'yes', report: 'never' });

      expect(error.field).toBe('dryRun');
    });
  });

  describe('resumeToken', () => {
    const LIVE = { dryRun: false, report: 'findings' } as const;
    const DRY = { dryRun: true, report: 'always' } as const;
    const token = (position: ScanPosition, intent: RunIntent) => encodeResumeToken({ position, intent });

    it.each([
      [{}, LIVE],
      [{ pageToken: 'AAAA/bbb+==', after: '/aws/lambda/a' }, DRY],
      [{ pageToken: 'next' }, { ...LIVE, logGroupNamePrefix: '/aws/rds/', remediationsLeft: 3 }],
    ])('resumes from the position %j a report token names', (position, intent) => {
      const request = parseEvent({ resumeToken: token(position, intent) });

      expect(request.trigger).toBe('manual');
      expect(request.resumeFrom).toEqual(position);
    });

    it.each([
      ['a dry run', DRY, { dryRun: true, report: 'always' }],
      ['a live run', LIVE, { dryRun: false, report: 'findings' }],
      ['a capped run', { ...DRY, remediationsLeft: 0 }, { dryRun: true, maxRemediations: 0 }],
      [
        'a run with a prefix',
        { ...LIVE, logGroupNamePrefix: '/aws/rds/' },
        { logGroupNamePrefix: '/aws/rds/' },
      ],
    ])('continues %s exactly as it was asked, whatever the defaults', (_case, intent, expected) => {
      expect(parseEvent({ resumeToken: token({ pageToken: 'p' }, intent) })).toMatchObject(expected);
    });

    it('accepts the same fields given again next to the token', () => {
      const resumeToken = token({}, { ...DRY, logGroupNamePrefix: '/aws/lambda/' });

      expect(
        parseEvent({ resumeToken, dryRun: true, report: 'always', logGroupNamePrefix: '/aws/lambda/' }),
      ).toEqual({
        trigger: 'manual',
        dryRun: true,
        report: 'always',
        logGroupNamePrefix: '/aws/lambda/',
        resumeFrom: {},
      });
    });

    it.each([
      ['dryRun false next to a dry token', DRY, { dryRun: false }, 'dryRun'],
      ['dryRun true next to a live token', LIVE, { dryRun: true }, 'dryRun'],
      ['another report mode', DRY, { report: 'findings' }, 'report'],
      ['a different prefix', { ...LIVE, logGroupNamePrefix: '/aws/rds/' }, { logGroupNamePrefix: '/aws/x/' }],
      ['a prefix the token has none of', LIVE, { logGroupNamePrefix: '/aws/lambda/' }, 'logGroupNamePrefix'],
      ['maxRemediations, which the token carries', { ...LIVE, remediationsLeft: 4 }, { maxRemediations: 9 }],
    ])('rejects %s, naming the field', (_case, intent, fields, field = Object.keys(fields)[0]) => {
      const error = eventErrorFrom({ resumeToken: token({ pageToken: 'p' }, intent), ...fields });

      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });

    it('rejects a token from before tokens carried the dry-run switch, rather than guess it', () => {
      const v1 = Buffer.from(JSON.stringify({ v: 1, s: 0, t: 'p' })).toString('base64url');

      const error = eventErrorFrom({ resumeToken: v1 });

      expect(error.field).toBe('resumeToken');
      expect(error.message).toMatch(/older version/);
    });

    it('accepts a genuine token of up to 4,096 characters and rejects a longer one', () => {
      // Prepare: grow a page token until the token is as long as allowed.
      const tokenWith = (n: number) => token({ pageToken: 'p'.repeat(n) }, LIVE);
      let n = 0;
      while (tokenWith(n + 1).length <= 4096) n++;

      // Act / Assess
      expect(parseEvent({ resumeToken: tokenWith(n) }).resumeFrom?.pageToken).toHaveLength(n);
      expect(eventErrorFrom({ resumeToken: tokenWith(n + 1) }).field).toBe('resumeToken');
    });

    it.each([
      ['a number', 5],
      ['null', null],
      ['true', true],
      ['an object', { skip: 0 }],
      ['the empty string', ''],
      ['garbage', 'not-a-token'],
      ['a token over 4,096 characters', 'A'.repeat(4_097)],
      ['base64 of JSON that is not a token', Buffer.from('{"hello":"world"}').toString('base64url')],
    ])('rejects %s, naming resumeToken', (_case, resumeToken) => {
      const error = eventErrorFrom({ resumeToken });

      expect(error.field).toBe('resumeToken');
      expect(error.message.length).toBeLessThan(300);
    });

    it.each([
      ['an empty prefix', ''],
      ['a prefix with a space', '/aws/my group'],
      ['a prefix with a wildcard', '/aws/*'],
      ['a prefix over 512 characters', `/${'x'.repeat(512)}`],
    ])(
      'rejects a token carrying %s, as it would reject that prefix in the event',
      (_case, logGroupNamePrefix) => {
        // Prepare: a tampered token; this function never issues one with a prefix the event could not carry.
        const resumeToken = token({}, { ...LIVE, logGroupNamePrefix });

        // Act
        const error = eventErrorFrom({ resumeToken });

        // Assess
        expect(['resumeToken', 'logGroupNamePrefix']).toContain(error.field);
      },
    );
  });

  describe('the start of a Step Functions sweep', () => {
    it.each([
      ['the schedule’s event', SCHEDULED_EVENT, {}],
      ['a person’s dry run', { dryRun: true }, { dryRun: true }],
      [
        'a capped run with a prefix',
        { maxRemediations: 5, logGroupNamePrefix: '/aws/' },
        { maxRemediations: 5 },
      ],
    ])('carries %s into the first invocation', (_case, start, expected) => {
      const request = parseEvent({ sweep: {}, start });

      expect(request).toMatchObject({ trigger: 'manual', sweep: { state: undefined }, ...expected });
      if (!('dryRun' in start)) expect(request.dryRun).toBeUndefined();
    });

    const KEY_DISABLED = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'events', 'key-disabled.json'), 'utf8'),
    ) as Record<string, unknown> & { detail: Record<string, unknown> };

    it('carries a KMS key event into the first invocation as its keyEvent, an ordinary sweep otherwise', () => {
      const request = parseEvent({ sweep: {}, start: KEY_DISABLED });

      expect(request).toEqual({
        trigger: 'manual',
        sweep: { state: undefined },
        keyEvent: {
          eventName: 'DisableKey',
          keyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          eventTime: '2026-11-30T11:42:08Z',
        },
      });
    });

    it.each<[string, unknown, string]>([
      [
        'another KMS call',
        { ...KEY_DISABLED, detail: { ...KEY_DISABLED.detail, eventName: 'EnableKey' } },
        'start.detail.eventName',
      ],
      [
        'a KMS call that failed',
        { ...KEY_DISABLED, detail: { ...KEY_DISABLED.detail, errorCode: 'AccessDenied' } },
        'start.detail.errorCode',
      ],
      ['a key event with a dryRun beside it', { ...KEY_DISABLED, dryRun: true }, 'start.dryRun'],
    ])('rejects a start that is %s, naming the field', (_case, start, field) => {
      expect(eventErrorFrom({ sweep: {}, start }).field).toBe(field);
    });

    it.each([
      ['a typo in it', { dryrun: true }, 'start.dryrun'],
      ['a bad value in it', { dryRun: 'yes' }, 'start.dryRun'],
      ['a scheduled event with an extra field', { ...SCHEDULED_EVENT, dryRun: true }, 'start.dryRun'],
      ['a console’s sample input', { Comment: 'Insert your JSON here' }, 'start.Comment'],
      ['not an object', 'dry', 'start'],
    ])('rejects a start with %s, naming the field', (_case, start, field) => {
      expect(eventErrorFrom({ sweep: {}, start }).field).toBe(field);
    });

    it('rejects a start outside the first invocation of a sweep', () => {
      expect(eventErrorFrom({ start: { dryRun: true } }).field).toBe('start');
    });
  });

  describe('unknown fields', () => {
    it.each([
      ['dryrun', 'dryRun'],
      ['DryRun', 'dryRun'],
      ['dry_run', 'dryRun'],
      ['DRY_RUN', 'dryRun'],
      ['dry-run', 'dryRun'],
      ['log_group_name_prefix', 'logGroupNamePrefix'],
      ['LogGroupNamePrefix', 'logGroupNamePrefix'],
      ['max_remediations', 'maxRemediations'],
      ['Report', 'report'],
      ['resume_token', 'resumeToken'],
      ['ResumeToken', 'resumeToken'],
    ])('rejects %s, naming it and suggesting %s', (field, suggestion) => {
      const error = eventErrorFrom({ [field]: true });

      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
      expect(error.message).toContain(`did you mean ${suggestion}?`);
    });

    it.each(['foo', 'dryRn', 'prefix', 'token', 'detail-type'])(
      'rejects %s, naming it without a suggestion',
      (field) => {
        const error = eventErrorFrom({ [field]: 'x' });

        expect(error.field).toBe(field);
        expect(error.message).toContain(field);
        expect(error.message).not.toMatch(/did you mean/);
      },
    );

    it('rejects a typo even when the other fields are valid, so a dry run never turns live', () => {
      const error = eventErrorFrom({ report: 'always', dryrun: true });

      expect(error.field).toBe('dryrun');
    });

    it('lists the allowed fields in the message', () => {
      const error = eventErrorFrom({ bogus: 1 });

      for (const allowed of ['dryRun', 'logGroupNamePrefix', 'maxRemediations', 'report', 'resumeToken']) {
        expect(error.message).toContain(allowed);
      }
    });

    it('shortens a huge unknown field name in the error', () => {
      const field = 'k'.repeat(10_000);

      const error = eventErrorFrom({ [field]: 1 });

      expect(field.startsWith(error.field.replace(/\.\.\.$/, ''))).toBe(true);
      expect(error.field.length).toBeLessThanOrEqual(80);
      expect(error.message.length).toBeLessThan(300);
    });
  });

  describe('non-objects', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['an array', []],
      ['an array of an object', [{ dryRun: true }]],
      ['a string', 'dryRun'],
      ['a number', 42],
      ['true', true],
      ['false', false],
    ])('rejects %s with field "event"', (_case, event) => {
      const error = eventErrorFrom(event);

      expect(error.field).toBe('event');
      expect(error.message).toMatch(/^Invalid event: event: /);
    });
  });

  describe('EventError', () => {
    it('is a RemediatorError named EventError', () => {
      const error = eventErrorFrom({ dryRun: 'yes' });

      expect(error).toBeInstanceOf(RemediatorError);
      expect(error.name).toBe('EventError');
    });
  });
});
