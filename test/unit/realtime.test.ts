/**
 * A new log group, seconds after its creation: the CloudTrail CreateLogGroup event parsed, the
 * one group looked at, the key check cached across a burst.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OtherKeysMode } from '../../lib/core/config';
import { EventError } from '../../lib/core/errors';
import { lookAtGroupsCreatedEncrypted, parseEvent } from '../../lib/core/event';
import { createCachedKeys } from '../../lib/run/key-cache';
import { runRemediation } from '../../lib/run/run-request';
import {
  ACCOUNT,
  baseConfig,
  createFakePorts,
  type FakeAccount,
  goodKey,
  group,
  KEY_ARN,
} from '../support/fakes';

type Event = Record<string, unknown> & { detail: Record<string, unknown> };
const sample = (file: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', file), 'utf8')) as Event;
const withDetail = (base: Event, detail: Record<string, unknown>): Event => ({
  ...base,
  detail: { ...base.detail, ...detail },
});
const context = { runId: 'rt', account: ACCOUNT };

async function runEvent(
  event: unknown,
  account: FakeAccount,
  config = baseConfig({ reportWhen: 'findings' }),
) {
  const fake = createFakePorts(account);
  const result = await runRemediation(config, parseEvent(event), fake.ports, context);
  return { ...fake, ...result };
}

/** The cache tests read the target key only. */
const notAudited = {
  readKeyInUse: async (): Promise<never> => {
    throw new Error('the audit is not under test here');
  },
};

describe('parsing CloudTrail CreateLogGroup events', () => {
  it.each([
    ['create-log-group.json', '/app/orders-api', '2026-11-30T10:15:01Z'],
    ['create-log-group-rds.json', '/aws/rds/instance/orders-db/general', '2026-11-30T10:20:12Z'],
  ])('reads %s, whoever made the call', (file, logGroupName, eventTime) => {
    expect(parseEvent(sample(file))).toEqual({
      trigger: 'cloudtrail',
      createdLogGroup: { logGroupName, eventTime },
    });
  });

  it.each([
    ['a call that failed', { errorCode: 'ResourceAlreadyExistsException', errorMessage: 'exists' }, /failed/],
    [
      'a group created with a key',
      { requestParameters: { logGroupName: '/app/x', kmsKeyId: KEY_ARN } },
      /created with a KMS key/,
    ],
  ])('ignores %s', (_label, detail, reason) => {
    const request = parseEvent(withDetail(sample('create-log-group.json'), detail));
    expect(request.ignored).toMatch(reason);
    expect(request.createdLogGroup).toBeUndefined();
  });

  it.each<[OtherKeysMode, boolean]>([
    ['allow', false],
    ['report', true],
    ['reassociate', true],
  ])('with OTHER_KEYS=%s, a group created with a key is looked at: %s', (otherKeys, looked) => {
    const parsed = parseEvent(
      withDetail(sample('create-log-group.json'), {
        requestParameters: { logGroupName: '/app/x', kmsKeyId: KEY_ARN },
      }),
    );
    const request = lookAtGroupsCreatedEncrypted(parsed, otherKeys);
    expect(request.ignored === undefined).toBe(looked);
    expect(request.createdLogGroup?.logGroupName).toBe(looked ? '/app/x' : undefined);
  });

  it.each([
    ['an empty errorCode', { errorCode: '' }],
    ['a null errorCode', { errorCode: null }],
    ['a field CloudTrail added in a later minor version', { someNewField: { x: 1 }, eventVersion: '1.99' }],
  ])('takes a call with %s as one that created the group', (_label, detail) => {
    expect(parseEvent(withDetail(sample('create-log-group.json'), detail)).createdLogGroup).toMatchObject({
      logGroupName: '/app/orders-api',
    });
  });

  it.each<[string, (e: Event) => unknown, string]>([
    ['a dryRun beside the envelope', (e) => ({ ...e, dryRun: true }), 'dryRun'],
    ['an unknown envelope field', (e) => ({ ...e, priority: 'high' }), 'priority'],
    ['a dryRun in the record', (e) => withDetail(e, { dryRun: true }), 'detail.dryRun'],
    ['a report in the record', (e) => withDetail(e, { Report: 'always' }), 'detail.Report'],
    [
      'an event time that is a number in a string',
      (e) => withDetail(e, { eventTime: '1' }),
      'detail.eventTime',
    ],
    [
      'an event time with no time of day',
      (e) => withDetail(e, { eventTime: '2026-11-30' }),
      'detail.eventTime',
    ],
    ['an envelope time that is not ISO 8601', (e) => ({ ...e, time: 'Monday' }), 'time'],
    [
      'a record format of another major version',
      (e) => withDetail(e, { eventVersion: '2.0' }),
      'detail.eventVersion',
    ],
    ['another source', (e) => ({ ...e, source: 'aws.ec2' }), 'source'],
    ['no detail', (e) => ({ ...e, detail: undefined }), 'detail'],
    ['another API call', (e) => withDetail(e, { eventName: 'DeleteLogGroup' }), 'detail.eventName'],
    ['no event time', (e) => withDetail(e, { eventTime: 'soon' }), 'detail.eventTime'],
    ['no parameters', (e) => withDetail(e, { requestParameters: null }), 'detail.requestParameters'],
    [
      'a bad group name',
      (e) => withDetail(e, { requestParameters: { logGroupName: 'has spaces' } }),
      'detail.requestParameters.logGroupName',
    ],
    [
      'no group name',
      (e) => withDetail(e, { requestParameters: {} }),
      'detail.requestParameters.logGroupName',
    ],
  ])('rejects a malformed event (%s), naming the field', (_label, mutate, field) => {
    const event = mutate(sample('create-log-group.json'));
    expect(() => parseEvent(event)).toThrow(EventError);
    expect(() => parseEvent(event)).toThrow(expect.objectContaining({ field }));
  });
});

describe('a run for one new log group', () => {
  const event = sample('create-log-group.json');

  it('looks at that group alone with one lookup, associates it, and publishes nothing when all is well', async () => {
    const createdAt = '2026-11-30T09:59:58.000Z';
    const { report, calls, published } = await runEvent(withDetail(event, { eventTime: createdAt }), {
      groups: [group('/app/orders-api'), group('/app/other')],
    });
    expect(calls.findLogGroup).toEqual(['/app/orders-api']);
    expect(calls.describePages).toBe(0);
    expect(calls.associate).toEqual([{ logGroupName: '/app/orders-api', keyArn: KEY_ARN }]);
    expect(report.totals).toMatchObject({ scanned: 1, remediated: 1 });
    expect(published).toBe(false);
    const metrics = Object.fromEntries((calls.metrics[0] ?? []).map((m) => [m.name, m.value]));
    expect(metrics).toMatchObject({ RealtimeRemediated: 1, Failed: 0, KeyUsable: 1 });
    expect(metrics.RealtimeLatency).toBe(Date.parse(report.finishedAt) - Date.parse(createdAt));
  });

  it('counts nothing twice when CloudTrail delivers the same event again', async () => {
    const groups = [group('/app/orders-api')];
    const first = await runEvent(event, { groups });
    const second = await runEvent(event, { groups });
    expect(first.report.totals.remediated).toBe(1);
    expect(second.report.totals).toMatchObject({ scanned: 1, alreadyEncrypted: 1, remediated: 0 });
    expect(second.calls.associate).toHaveLength(0);
  });

  it('skips a group deleted since, with a reason', async () => {
    const { report, calls } = await runEvent(event, { groups: [] });
    expect(report.groups).toEqual([
      expect.objectContaining({
        logGroupName: '/app/orders-api',
        outcome: 'skipped',
        reason: 'group-deleted',
      }),
    ]);
    expect(report.totals.scanned).toBe(1);
    expect(calls.associate).toHaveLength(0);
  });

  it('excludes a group outside the include patterns', async () => {
    const { report, calls } = await runEvent(
      event,
      { groups: [group('/app/orders-api')] },
      baseConfig({ includePatterns: ['/aws/rds/*'] }),
    );
    expect(report.groups).toEqual([
      { logGroupName: '/app/orders-api', outcome: 'excluded', reason: 'include-patterns' },
    ]);
    expect(calls.associate).toHaveLength(0);
  });

  it.each([
    [
      'an association fails',
      { associateErrors: { '/app/orders-api': { kind: 'other' as const, code: 'Boom', message: 'x' } } },
    ],
    ['the key is unusable', { key: goodKey({ state: 'Disabled' }) }],
  ])('publishes only when something needs a person: %s', async (_label, trouble) => {
    const { published, calls } = await runEvent(event, { groups: [group('/app/orders-api')], ...trouble });
    expect(published).toBe(true);
    expect(calls.published).toHaveLength(1);
  });
});

describe('the key cache', () => {
  it('asks KMS once for a burst, again after the time to live, and at once after forget()', async () => {
    let now = 0;
    const inner = {
      ...notAudited,
      calls: 0,
      readKeyFacts: async (keyId: string) => {
        inner.calls++;
        return goodKey({ requested: keyId });
      },
    };
    const cached = createCachedKeys(inner, 300_000, () => now);

    await Promise.all(Array.from({ length: 100 }, () => cached.readKeyFacts(KEY_ARN)));
    expect(inner.calls).toBe(1);
    now += 299_999;
    await cached.readKeyFacts(KEY_ARN);
    expect(inner.calls).toBe(1);
    now += 2;
    await cached.readKeyFacts(KEY_ARN);
    expect(inner.calls).toBe(2);
    cached.forget?.();
    await cached.readKeyFacts(KEY_ARN);
    expect(inner.calls).toBe(3);
  });

  it.each([
    ['throttled', 'ThrottlingException'],
    ['met a KMS fault', 'KMSInternalException'],
  ])('never keeps a lookup that was %s: the next event asks again', async (_label, errorCode) => {
    let calls = 0;
    const inner = {
      ...notAudited,
      readKeyFacts: async (requested: string) => {
        calls++;
        return calls === 1
          ? { found: false as const, requested, errorCode, message: 'slow down', transient: true }
          : goodKey({ requested });
      },
    };
    const cached = createCachedKeys(inner, 300_000, () => 0);

    expect(await cached.readKeyFacts(KEY_ARN)).toMatchObject({ found: false, errorCode });
    expect(await cached.readKeyFacts(KEY_ARN)).toMatchObject({ found: true });
    expect(calls).toBe(2);
  });

  it('keeps a definite "not found" for its time to live', async () => {
    let calls = 0;
    const notFound = {
      found: false as const,
      errorCode: 'NotFoundException',
      message: 'x',
      transient: false,
    };
    const inner = {
      ...notAudited,
      readKeyFacts: async (requested: string) => ({ ...notFound, requested, n: ++calls }),
    };
    const cached = createCachedKeys(inner, 300_000, () => 0);

    await cached.readKeyFacts(KEY_ARN);
    await cached.readKeyFacts(KEY_ARN);
    expect(calls).toBe(1);
  });

  it('lets an unusable verdict expire just as fast', async () => {
    let now = 0;
    let state = 'Disabled';
    const inner = { ...notAudited, readKeyFacts: async () => goodKey({ state }) };
    const cached = createCachedKeys(inner, 60_000, () => now);
    expect(await cached.readKeyFacts(KEY_ARN)).toMatchObject({ state: 'Disabled' });
    state = 'Enabled';
    now += 60_001;
    expect(await cached.readKeyFacts(KEY_ARN)).toMatchObject({ state: 'Enabled' });
  });
});
