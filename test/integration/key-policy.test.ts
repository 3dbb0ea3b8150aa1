/**
 * End to end: the key policies of issue 12, through the handler against the emulator, whose key-policy judge
 * is an independent IAM evaluator (test/emulator/key-policy-judge.cjs). Where the product says "denied", the
 * judge is asked directly too, so a product that refuses a usable key fails here.
 */
import { AssociateKmsKeyCommand } from '@aws-sdk/client-cloudwatch-logs';
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
const GROUPS = ['/aws/lambda/orders', '/app/api'];
const LOGS_KEY = 'kms:EncryptionContext:aws:logs:arn';

beforeEach(async () => {
  await h.em.reset();
});

/** The account root and the AWS docs statement for CloudWatch Logs, plus `extra`. */
const withDocs = (...extra: object[]) => {
  const base = JSON.parse(keyPolicy()) as { Statement: object[] };
  return JSON.stringify({ ...base, Statement: [...base.Statement, ...extra] });
};
/** The account root and `extra` only. */
const rootAnd = (...extra: object[]) => {
  const base = JSON.parse(keyPolicy(null)) as { Statement: object[] };
  return JSON.stringify({ ...base, Statement: [...base.Statement, ...extra] });
};
const deny = (sid: string, condition: object) => ({
  Sid: sid,
  Effect: 'Deny',
  Principal: '*',
  Action: 'kms:*',
  Resource: '*',
  Condition: condition,
});
const allowAnyone = (sid: string, condition: object) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 'kms:*',
  Resource: '*',
  Condition: condition,
});
const allowLogs = (sid: string, condition: object) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { Service: `logs.${REGION}.amazonaws.com` },
  Action: 'kms:*',
  Resource: '*',
  Condition: condition,
});

async function run(policy: string, dryRun: boolean): Promise<{ report: Report; keyArn: string }> {
  const keyArn = await createKey(h.aws.kms, { policy });
  await createGroups(h.aws.logs, GROUPS);
  const topic = await createReportTopic(h.aws);
  const handler = h.buildHandler(
    { ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn },
    silentLogger(),
  );
  return { report: asReport(await handler({ dryRun }, lambdaContext())), keyArn };
}

const codes = (findings: { code: string }[]) => findings.map((f) => f.code);

describe('key policies of issue 12, end to end', () => {
  it.each([
    [
      'a Deny of plain HTTP (Bool aws:SecureTransport false)',
      withDocs(deny('DenyInsecureTransport', { Bool: { 'aws:SecureTransport': 'false' } })),
    ],
    [
      'the data-perimeter guardrail that exempts AWS services',
      withDocs(
        deny('EnforceIdentityPerimeter', {
          StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        }),
      ),
    ],
  ])('remediates every group of a hardened key: %s', async (_label, policy) => {
    const { report, keyArn } = await run(policy, false);

    expect(codes(report.key.problems)).toEqual([]);
    expect(report.totals).toMatchObject({ remediated: GROUPS.length, failed: 0, skipped: 0 });
    const keys = await readGroupKeys(h.aws.logs);
    for (const name of GROUPS) expect(keys.get(name)).toBe(keyArn);
  });

  it.each([
    [
      'aws:SourceAccount naming another account',
      rootAnd(allowLogs('OtherAccount', { StringEquals: { 'aws:SourceAccount': '999999999999' } })),
    ],
    [
      '{"AWS": "*"} with ArnLike aws:PrincipalARN',
      rootAnd(allowAnyone('Roles', { ArnLike: { 'aws:PrincipalARN': `arn:aws:iam::${ACCOUNT}:role/*` } })),
    ],
    [
      '{"AWS": "*"} with kms:ViaService',
      rootAnd(allowAnyone('ViaLogs', { StringEquals: { 'kms:ViaService': `logs.${REGION}.amazonaws.com` } })),
    ],
    [
      '{"AWS": "*"} with kms:CallerAccount',
      rootAnd(allowAnyone('Account', { StringEquals: { 'kms:CallerAccount': ACCOUNT } })),
    ],
    [
      "the anomaly detector's lookalike context key",
      rootAnd(
        allowLogs('Detector', {
          ArnLike: {
            'kms:EncryptionContext:aws-crypto-ec:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:*`,
          },
        }),
      ),
    ],
  ])('calls a key that will fail unusable, and the judge agrees: %s', async (_label, policy) => {
    const { report, keyArn } = await run(policy, true);

    expect(codes(report.key.problems)).toEqual(['KEY_POLICY_DENIES_LOGS']);
    expect(report.key.policyFix).toBeDefined();
    expect(report.totals).toMatchObject({ wouldRemediate: 0, skipped: GROUPS.length });
    const direct = h.aws.logs.send(new AssociateKmsKeyCommand({ logGroupName: GROUPS[0], kmsKeyId: keyArn }));
    await expect(direct).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('offers no policyFix when a Deny would still block it, and names the Deny', async () => {
    const policy = rootAnd({
      Sid: 'OnlyAdmins',
      Effect: 'Deny',
      NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    });

    const { report } = await run(policy, true);

    expect(codes(report.key.problems)).toEqual(['KEY_POLICY_DENIES_LOGS']);
    expect(report.key.problems[0]?.message).toContain('OnlyAdmins');
    expect(report.key.policyFix).toBeUndefined();
  });

  it('leaves an open verdict to AWS: attempts the association and names the key and the statement', async () => {
    const policy = rootAnd(
      allowLogs('OwnAccountOnly', {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnLike: { [LOGS_KEY]: `arn:aws:logs:${REGION}:${ACCOUNT}:*` },
      }),
    );

    const dry = await run(policy, true);
    expect(dry.report.key.usable).toBe(true);
    const warning = dry.report.key.warnings.find((w) => w.code === 'KEY_POLICY_CONDITION_UNEVALUATED');
    expect(warning?.message).toMatch(/aws:SourceAccount in Allow statement OwnAccountOnly/);
    expect(dry.report.totals).toMatchObject({ wouldRemediate: GROUPS.length });

    await h.em.reset();
    const live = await run(policy, false);
    // The emulator's request carries no aws:SourceAccount, so AWS (here: the judge) says no to each attempt.
    expect(live.report.totals).toMatchObject({ failed: GROUPS.length, remediated: 0 });
    expect(
      live.report.groups.every((g) => g.outcome === 'failed' && g.errorCode === 'AccessDeniedException'),
    ).toBe(true);
  });
});
