import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventError, RemediatorError } from '../../lib/errors';
import { parseEvent } from '../../lib/event';
import { encodeResumeToken } from '../../lib/resume-token';

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

    it('ignores a manual-looking field on a scheduled event', () => {
      expect(parseEvent({ ...SCHEDULED_EVENT, dryRun: true })).toEqual({ trigger: 'scheduled' });
    });

    it.each([
      ['another detail-type', { ...SCHEDULED_EVENT, 'detail-type': 'Object Created' }],
      ['another source', { ...SCHEDULED_EVENT, source: 'aws.s3' }],
    ])('does not take an event with %s for a scheduled one', (_case, event) => {
      const error = eventErrorFrom(event);

      expect(error.field).toBe('version');
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
    it.each([
      [{ skip: 0 }],
      [{ skip: 40, pageToken: 'AAAA/bbb+==' }],
      [{ skip: 3, pageToken: 'next', logGroupNamePrefix: '/aws/rds/' }],
    ])('resumes from the position %j a report token names', (position) => {
      const request = parseEvent({ resumeToken: encodeResumeToken(position) });

      expect(request.trigger).toBe('manual');
      expect(request.resumeFrom).toEqual(position);
    });

    it('takes the prefix of the sweep from the token', () => {
      const token = encodeResumeToken({ skip: 1, logGroupNamePrefix: '/aws/lambda/' });

      expect(parseEvent({ resumeToken: token }).logGroupNamePrefix).toBe('/aws/lambda/');
    });

    it('accepts the same prefix given again next to the token', () => {
      const token = encodeResumeToken({ skip: 1, logGroupNamePrefix: '/aws/lambda/' });

      expect(parseEvent({ resumeToken: token, logGroupNamePrefix: '/aws/lambda/' }).logGroupNamePrefix).toBe(
        '/aws/lambda/',
      );
    });

    it('keeps the other overrides next to a token', () => {
      const token = encodeResumeToken({ skip: 1 });

      expect(parseEvent({ resumeToken: token, dryRun: true, maxRemediations: 5, report: 'always' })).toEqual({
        trigger: 'manual',
        dryRun: true,
        maxRemediations: 5,
        report: 'always',
        resumeFrom: { skip: 1 },
      });
    });

    it.each([
      ['a different prefix', { skip: 0, logGroupNamePrefix: '/aws/rds/' }, '/aws/lambda/'],
      ['a prefix the token has none of', { skip: 0 }, '/aws/lambda/'],
    ])('rejects %s next to the token, naming logGroupNamePrefix', (_case, position, prefix) => {
      const error = eventErrorFrom({ resumeToken: encodeResumeToken(position), logGroupNamePrefix: prefix });

      expect(error.field).toBe('logGroupNamePrefix');
    });

    it('accepts a genuine token of up to 4,096 characters and rejects a longer one', () => {
      // Prepare: grow a page token until the token is as long as allowed.
      const tokenWith = (n: number) => encodeResumeToken({ skip: 0, pageToken: 'p'.repeat(n) });
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
        const resumeToken = encodeResumeToken({ skip: 0, logGroupNamePrefix });

        // Act
        const error = eventErrorFrom({ resumeToken });

        // Assess
        expect(['resumeToken', 'logGroupNamePrefix']).toContain(error.field);
      },
    );
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
