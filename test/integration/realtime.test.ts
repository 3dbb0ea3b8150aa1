/**
 * Real-time mode against the emulator: the handler receives CloudTrail's CreateLogGroup event
 * for a group just created, looks at that group alone, and encrypts it. The emulator's request
 * counts show exactly which calls it made.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventError } from '../../lib/core/errors';
import { createGroups, createKey, createReportTopic, readGroupKey } from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
type Event = Record<string, unknown> & { detail: Record<string, unknown> };
const SAMPLE = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'events', 'create-log-group-rds.json'), 'utf8'),
) as Event;

/** The sample event, for another group and time. */
function createdEvent(logGroupName: string, detail: Record<string, unknown> = {}): Event {
  return {
    ...SAMPLE,
    detail: {
      ...SAMPLE.detail,
      eventTime: new Date().toISOString(),
      requestParameters: { logGroupName },
      ...detail,
    },
  };
}

let keyArn: string;
let handler: ReturnType<typeof h.buildHandler>;

beforeEach(async () => {
  await h.em.reset();
  const topic = await createReportTopic(h.aws);
  keyArn = await createKey(h.aws.kms);
  // A new handler per test: a cold container, with an empty key cache.
  handler = h.buildHandler(
    {
      ...TEST_ENV,
      KMS_KEY_ID: keyArn,
      REPORT_TOPIC_ARN: topic.topicArn,
      INCLUDE_PATTERNS: '/aws/rds/*,/app/*',
    },
    silentLogger(),
  );
  await h.em.resetRequestCounts();
});

const counts = () => h.em.requestCounts();
const kmsCalls = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([op]) => op.startsWith('kms.'))
    .reduce((n, [, v]) => n + v, 0);

describe('real-time remediation against the emulator', () => {
  it('encrypts the new group with one lookup, one association, and the key checked on a cold cache only', async () => {
    // Prepare: two groups created one after the other; many others share the prefix.
    const name = '/aws/rds/instance/orders-db/general';
    await createGroups(h.aws.logs, [
      name,
      `${name}-archive`,
      ...Array.from({ length: 60 }, (_, i) => `${name}/${i}`),
    ]);
    await createGroups(h.aws.logs, ['/app/payments']);
    await h.em.resetRequestCounts();

    // Act
    const first = asReport(await handler(createdEvent(name), lambdaContext()));
    const afterFirst = await counts();
    await h.em.resetRequestCounts();
    const second = asReport(await handler(createdEvent('/app/payments'), lambdaContext()));
    const afterSecond = await counts();

    // Assess
    expect(first.totals).toMatchObject({ scanned: 1, remediated: 1 });
    expect(await readGroupKey(h.aws.logs, name)).toBe(keyArn);
    expect(afterFirst).toMatchObject({ 'logs.DescribeLogGroups': 1, 'logs.AssociateKmsKey': 1 });
    expect(kmsCalls(afterFirst)).toBe(3);
    expect(afterFirst['sns.Publish'] ?? 0).toBe(0);
    expect(second.totals.remediated).toBe(1);
    expect(afterSecond).toEqual({ 'logs.DescribeLogGroups': 1, 'logs.AssociateKmsKey': 1 });
  });

  it('associates once and counts nothing twice when the same event comes twice', async () => {
    await createGroups(h.aws.logs, ['/app/dup']);
    const event = createdEvent('/app/dup');

    const first = asReport(await handler(event, lambdaContext()));
    const second = asReport(await handler(event, lambdaContext()));

    expect(first.totals).toMatchObject({ remediated: 1, alreadyEncrypted: 0 });
    expect(second.totals).toMatchObject({ remediated: 0, alreadyEncrypted: 1 });
    expect((await counts())['logs.AssociateKmsKey']).toBe(1);
  });

  it('skips a group deleted since its creation, with a reason', async () => {
    const report = asReport(await handler(createdEvent('/app/gone'), lambdaContext()));

    expect(report.groups).toEqual([
      expect.objectContaining({ logGroupName: '/app/gone', outcome: 'skipped', reason: 'group-deleted' }),
    ]);
    expect(await counts()).toMatchObject({ 'logs.DescribeLogGroups': 1 });
    expect((await counts())['logs.AssociateKmsKey'] ?? 0).toBe(0);
  });

  it('excludes a group outside the include patterns', async () => {
    await createGroups(h.aws.logs, ['/aws/lambda/fn']);

    const report = asReport(await handler(createdEvent('/aws/lambda/fn'), lambdaContext()));

    expect(report.groups).toEqual([
      { logGroupName: '/aws/lambda/fn', outcome: 'excluded', reason: 'include-patterns' },
    ]);
    expect((await counts())['logs.AssociateKmsKey'] ?? 0).toBe(0);
    expect(await readGroupKey(h.aws.logs, '/aws/lambda/fn')).toBeUndefined();
  });

  it('does nothing for a group that is already encrypted', async () => {
    await createGroups(h.aws.logs, ['/app/already'], { kmsKeyId: keyArn });
    await h.em.resetRequestCounts();

    const report = asReport(await handler(createdEvent('/app/already'), lambdaContext()));

    expect(report.totals).toMatchObject({ scanned: 1, alreadyEncrypted: 1 });
    expect(report.groups).toEqual([]);
    expect((await counts())['logs.AssociateKmsKey'] ?? 0).toBe(0);
  });

  it.each([
    ['a failed CreateLogGroup', { errorCode: 'ResourceAlreadyExistsException' }],
    [
      'a group created with its own key',
      {
        requestParameters: { logGroupName: '/app/own', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/x' },
      },
    ],
  ])('ignores %s without any AWS call', async (_label, detail) => {
    const answer = await handler(createdEvent('/app/x', detail), lambdaContext());
    expect(answer).toEqual({ ignored: expect.any(String) });
    expect(await counts()).toEqual({});
  });

  it.each<[string, string, string]>([
    ['report', 'other-key', 'the other key'],
    ['reassociate', 'reassociated', 'the target key'],
  ])(
    'with OTHER_KEYS=%s, looks at a group created with another key: %s, left on %s',
    async (mode, outcome) => {
      const other = await createKey(h.aws.kms);
      await createGroups(h.aws.logs, ['/app/own'], { kmsKeyId: other });
      const topic = await createReportTopic(h.aws);
      const strict = h.buildHandler(
        { ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn, OTHER_KEYS: mode },
        silentLogger(),
      );
      await h.em.resetRequestCounts();

      const report = asReport(
        await strict(
          createdEvent('/app/own', { requestParameters: { logGroupName: '/app/own', kmsKeyId: other } }),
          lambdaContext(),
        ),
      );

      expect(report.groups).toEqual([
        expect.objectContaining({ logGroupName: '/app/own', outcome, kmsKeyId: other }),
      ]);
      // One lookup of the group, the target's three KMS calls, the audit's two; nothing published.
      const made = await counts();
      expect(made).toMatchObject({
        'logs.DescribeLogGroups': 1,
        'kms.DescribeKey': 2,
        'kms.GetKeyPolicy': 2,
      });
      expect(made['sns.Publish'] ?? 0).toBe(0);
      expect(await readGroupKey(h.aws.logs, '/app/own')).toBe(mode === 'reassociate' ? keyArn : other);
    },
  );

  it('rejects a malformed CloudTrail event, naming the field, with no AWS call and no change', async () => {
    await createGroups(h.aws.logs, ['/app/bad']);
    await h.em.resetRequestCounts();

    const failure = await handler(
      createdEvent('/app/bad', { requestParameters: { logGroupName: 42 } }),
      lambdaContext(),
    ).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(EventError);
    expect(failure).toMatchObject({ field: 'detail.requestParameters.logGroupName' });
    expect(await counts()).toEqual({});
    expect(await readGroupKey(h.aws.logs, '/app/bad')).toBeUndefined();
  });
});
