/**
 * The audit of the keys encrypted groups already use, over the wire: each trouble a key can be in
 * is made with the real KMS calls (DisableKey, ScheduleKeyDeletion, PutKeyPolicy...) on the
 * emulator, and the emulator's request counts hold the audit to two KMS calls per distinct key.
 */
import { DisableKeyCommand, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import type { Report } from '../../lib/core/types';
import {
  ACCOUNT,
  createGroups,
  createKey,
  createReportTopic,
  keyPolicy,
  REGION,
  readGroupKeys,
} from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
const ON_OLD = ['/old/a', '/old/b'];
const PLAIN = '/plain';
const GONE_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0badc0de-0000-4000-8000-000000000000`;

beforeEach(async () => {
  await h.em.reset();
  await h.em.resetRequestCounts();
});

/** A target key, an old key with two groups on it, and one unencrypted group. */
async function setUp(): Promise<{ target: string; old: string }> {
  const target = await createKey(h.aws.kms);
  const old = await createKey(h.aws.kms);
  await createGroups(h.aws.logs, ON_OLD, { kmsKeyId: old });
  await createGroups(h.aws.logs, [PLAIN]);
  return { target, old };
}

async function run(target: string, env: Record<string, string> = {}, dryRun = false): Promise<Report> {
  const topic = await createReportTopic(h.aws);
  const handler = h.buildHandler(
    { ...TEST_ENV, KMS_KEY_ID: target, REPORT_TOPIC_ARN: topic.topicArn, ...env },
    silentLogger(),
  );
  await h.em.resetRequestCounts();
  return asReport(await handler({ dryRun }, lambdaContext()));
}

const rootOnly = keyPolicy(null);
const denyDescribe = JSON.stringify({
  ...JSON.parse(keyPolicy()),
  Statement: [
    ...JSON.parse(keyPolicy()).Statement,
    { Sid: 'NoDescribe', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:DescribeKey', Resource: '*' },
  ],
});

/** Send one KMS call that spoils the old key; the groups stay on it. */
async function spoiled(
  old: string,
  command: DisableKeyCommand | ScheduleKeyDeletionCommand | PutKeyPolicyCommand,
): Promise<string> {
  // One union-typed send: the client's overloads are per command type.
  await (h.aws.kms.send as (c: typeof command) => Promise<unknown>)(command);
  return old;
}

describe('the key audit against the emulator', () => {
  it.each<[string, (old: string) => Promise<string>, string, string | undefined, string]>([
    [
      'a disabled key',
      (old) => spoiled(old, new DisableKeyCommand({ KeyId: old })),
      'at-risk',
      'key-disabled',
      'KEY_DISABLED',
    ],
    [
      'a key pending deletion',
      (old) => spoiled(old, new ScheduleKeyDeletionCommand({ KeyId: old, PendingWindowInDays: 7 })),
      'at-risk',
      'key-pending-deletion',
      'KEY_PENDING_DELETION',
    ],
    [
      'a deleted key',
      async () => {
        await h.em.seedLogGroups({
          groups: ON_OLD.map((name) => ({ name: `${name}-gone`, kmsKeyId: GONE_KEY })),
        });
        return GONE_KEY;
      },
      'at-risk',
      'key-not-found',
      'KEY_NOT_FOUND',
    ],
    [
      'a key whose policy was changed to shut logs out',
      (old) => spoiled(old, new PutKeyPolicyCommand({ KeyId: old, PolicyName: 'default', Policy: rootOnly })),
      'at-risk',
      'key-policy-revoked',
      'KEY_POLICY_REVOKED',
    ],
    [
      'a key the role may not describe',
      (old) =>
        spoiled(old, new PutKeyPolicyCommand({ KeyId: old, PolicyName: 'default', Policy: denyDescribe })),
      'unverified',
      'key-unreadable',
      'KEY_UNREADABLE',
    ],
  ])(
    'reports the groups on %s, and still encrypts the others',
    async (_label, spoil, outcome, reason, code) => {
      const { target, old } = await setUp();
      const troubled = await spoil(old);

      const report = await run(target);

      const onIt = report.groups.filter((g) => 'kmsKeyId' in g && g.kmsKeyId === troubled);
      expect(onIt.length).toBe(2);
      expect(onIt.map((g) => [g.outcome, 'reason' in g ? g.reason : undefined])).toEqual([
        [outcome, reason],
        [outcome, reason],
      ]);
      const entry = report.keysInUse.find((k) => k.arn === troubled);
      expect(entry).toMatchObject({ groups: 2, verdict: outcome, problem: { code } });
      if (outcome === 'at-risk') {
        expect(report.totals.atRisk).toBeGreaterThanOrEqual(2);
        expect(entry?.fix?.ifNothingIsDone).toBeTruthy();
        const sent = JSON.parse((await h.em.publishedMessages()).at(-1)?.Message ?? '{}') as {
          default: string;
        };
        // The text leads with the key at risk, before the totals.
        expect(sent.default.indexOf(troubled)).toBeGreaterThan(-1);
        expect(sent.default.indexOf(troubled)).toBeLessThan(sent.default.indexOf('Scanned '));
      } else {
        expect(report.totals.atRisk).toBe(0);
      }
      expect(report.groups).toContainEqual({ outcome: 'remediated', logGroupName: PLAIN });
    },
  );

  it('names the deletion date of a key pending deletion, and the commands that save it', async () => {
    const { target, old } = await setUp();
    await h.aws.kms.send(new ScheduleKeyDeletionCommand({ KeyId: old, PendingWindowInDays: 7 }));

    const report = await run(target);

    const entry = report.keysInUse.find((k) => k.arn === old);
    expect(entry?.state).toBe('PendingDeletion');
    expect(Date.parse(entry?.deletionDate ?? '')).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(entry?.fix?.commands).toEqual([
      `aws kms cancel-key-deletion --key-id ${old} --region ${REGION}`,
      `aws kms enable-key --key-id ${old} --region ${REGION}`,
    ]);
  });

  it('makes at most two KMS calls per distinct key, whatever the number of groups', async () => {
    const target = await createKey(h.aws.kms);
    const keys = [await createKey(h.aws.kms), await createKey(h.aws.kms)];
    for (const [i, key] of keys.entries()) {
      await createGroups(
        h.aws.logs,
        Array.from({ length: 60 }, (_, n) => `/k${i}/g${n}`),
        { kmsKeyId: key },
      );
    }

    const report = await run(target);

    const { requests } = await h.em.stats();
    // The target's three calls, then DescribeKey and GetKeyPolicy once for each other key.
    expect(requests['kms.DescribeKey']).toBe(1 + keys.length);
    expect(requests['kms.GetKeyPolicy']).toBe(1 + keys.length);
    expect(requests['kms.GetKeyRotationStatus']).toBe(1);
    expect(requests['logs.DescribeLogGroups']).toBe(Math.ceil(120 / 50));
    expect(report.totals).toMatchObject({ scanned: 120, alreadyEncrypted: 120 });
  });

  it('KEY_AUDIT=off makes no audit call', async () => {
    const { target, old } = await setUp();
    await h.aws.kms.send(new DisableKeyCommand({ KeyId: old }));

    const report = await run(target, { KEY_AUDIT: 'off' });

    const { requests } = await h.em.stats();
    expect(requests['kms.DescribeKey']).toBe(1);
    expect(report.totals).toMatchObject({ alreadyEncrypted: 2, atRisk: 0, remediated: 1 });
  });

  it.each<[string, boolean, Partial<Report['totals']>, 'old' | 'target']>([
    ['allow', false, { alreadyEncrypted: 2 }, 'old'],
    ['allow', true, { alreadyEncrypted: 2 }, 'old'],
    ['report', false, { otherKey: 2 }, 'old'],
    ['report', true, { otherKey: 2 }, 'old'],
    ['reassociate', true, { wouldReassociate: 2 }, 'old'],
    ['reassociate', false, { reassociated: 2 }, 'target'],
  ])('OTHER_KEYS=%s, dry run %s', async (mode, dryRun, totals, endsOn) => {
    const { target, old } = await setUp();

    const report = await run(target, { OTHER_KEYS: mode }, dryRun);

    expect(report.totals).toMatchObject(totals);
    const { requests } = await h.em.stats();
    const associations = (mode === 'reassociate' && !dryRun ? 2 : 0) + (dryRun ? 0 : 1);
    expect(requests['logs.AssociateKmsKey'] ?? 0).toBe(associations);
    const keys = await readGroupKeys(h.aws.logs);
    for (const name of ON_OLD) expect(keys.get(name)).toBe(endsOn === 'old' ? old : target);
  });

  it('UNHEALTHY_KEYS=reassociate moves groups off a disabled key, and keeps the old key in the report', async () => {
    const { target, old } = await setUp();
    await h.aws.kms.send(new DisableKeyCommand({ KeyId: old }));

    const report = await run(target, { UNHEALTHY_KEYS: 'reassociate' });

    const keys = await readGroupKeys(h.aws.logs);
    for (const name of ON_OLD) expect(keys.get(name)).toBe(target);
    expect(report.totals).toMatchObject({ reassociated: 2, remediated: 1, atRisk: 0 });
    const entry = report.keysInUse.find((k) => k.arn === old);
    expect(entry).toMatchObject({ verdict: 'at-risk', reassociated: 2 });
    expect(entry?.warning).toContain('kms:Decrypt');
  });
});
