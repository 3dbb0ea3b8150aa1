import { assessKey, checkGroupAgainstPolicy } from '../../lib/core/key-check';
import { buildLogsPolicyStatement } from '../../lib/core/key-policy';
import type { KeyFacts } from '../../lib/core/types';
import {
  ACCOUNT,
  goodKey,
  group,
  KEY_ARN,
  LOGS_STATEMENT,
  policyDocument,
  REGION,
  ROOT_STATEMENT,
} from '../support/fakes';

const problemCodes = (facts: KeyFacts) =>
  assessKey(facts, REGION, ACCOUNT).report.problems.map((p) => p.code);
const warningCodes = (facts: KeyFacts) =>
  assessKey(facts, REGION, ACCOUNT).report.warnings.map((p) => p.code);
const withPolicy = (...statements: object[]) =>
  goodKey({ policy: { readable: true, document: policyDocument(...statements) } });

describe('assessKey', () => {
  it('judges a correct key usable with no problems or warnings', () => {
    const assessment = assessKey(goodKey(), REGION, ACCOUNT);
    expect(assessment.usable).toBe(true);
    expect(assessment.keyArn).toBe(KEY_ARN);
    expect(assessment.report).toMatchObject({
      usable: true,
      problems: [],
      warnings: [],
      arn: KEY_ARN,
      state: 'Enabled',
    });
    expect(assessment.report.policyFix).toBeUndefined();
  });

  it.each([
    ['Disabled', goodKey({ state: 'Disabled' }), 'KEY_NOT_ENABLED', /Disabled/],
    ['PendingDeletion', goodKey({ state: 'PendingDeletion' }), 'KEY_NOT_ENABLED', /PendingDeletion/],
    ['asymmetric', goodKey({ keySpec: 'RSA_2048' }), 'KEY_NOT_SYMMETRIC', /RSA_2048/],
    ['for signing', goodKey({ keyUsage: 'SIGN_VERIFY' }), 'KEY_WRONG_USAGE', /SIGN_VERIFY/],
    ['AWS managed', goodKey({ keyManager: 'AWS' }), 'KEY_NOT_CUSTOMER_MANAGED', /AWS/],
    [
      'in another region',
      goodKey({ arn: KEY_ARN.replace(REGION, 'eu-west-1') }),
      'KEY_OTHER_REGION',
      /eu-west-1.*us-east-1/,
    ],
    [
      'missing',
      {
        found: false,
        requested: 'alias/none',
        errorCode: 'NotFoundException',
        message: 'not found',
        transient: false,
      } as const,
      'KEY_NOT_FOUND',
      /alias\/none/,
    ],
    [
      'not allowed to be described',
      {
        found: false,
        requested: KEY_ARN,
        errorCode: 'AccessDeniedException',
        message: 'denied',
        transient: false,
      } as const,
      'KEY_NOT_FOUND',
      /kms:DescribeKey/,
    ],
    [
      'without a logs statement (console default policy)',
      withPolicy(ROOT_STATEMENT),
      'KEY_POLICY_DENIES_LOGS',
      /policyFix/,
    ],
  ])('finds a key that is %s unusable', (_label, facts, code, message) => {
    const assessment = assessKey(facts, REGION, ACCOUNT);
    expect(assessment.usable).toBe(false);
    const problem = assessment.report.problems.find((p) => p.code === code);
    expect(problem?.message).toMatch(message);
  });

  it('reports an ARN from another region as KEY_OTHER_REGION even when KMS cannot find it', () => {
    const requested = KEY_ARN.replace(REGION, 'eu-west-1');
    expect(
      problemCodes({
        found: false,
        requested,
        errorCode: 'NotFoundException',
        message: 'x',
        transient: false,
      }),
    ).toEqual(['KEY_OTHER_REGION']);
  });

  it('lists every problem a key has, not just the first', () => {
    expect(
      problemCodes(goodKey({ state: 'Disabled', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' })),
    ).toEqual(['KEY_NOT_ENABLED', 'KEY_NOT_SYMMETRIC', 'KEY_WRONG_USAGE']);
  });

  it.each([
    [false, 'KEY_ROTATION_DISABLED'],
    [undefined, 'KEY_ROTATION_UNKNOWN'],
  ])('warns, without blocking, when rotation is %s', (rotationEnabled, code) => {
    const facts = goodKey({ rotationEnabled });
    expect(warningCodes(facts)).toEqual([code]);
    expect(assessKey(facts, REGION, ACCOUNT).usable).toBe(true);
  });

  it('keeps an unreadable policy as a non-blocking problem and leaves the verdict to AWS', () => {
    const assessment = assessKey(
      goodKey({ policy: { readable: false, errorCode: 'AccessDeniedException', message: 'no' } }),
      REGION,
      ACCOUNT,
    );
    expect(assessment.usable).toBe(true);
    expect(assessment.report.problems.map((p) => p.code)).toEqual(['KEY_POLICY_UNREADABLE']);
    expect(assessment.access.kind).toBe('unknown');
  });

  it('carries the policy fix, filled in for this account and region, when the policy shuts logs out', () => {
    const { report } = assessKey(withPolicy(ROOT_STATEMENT), REGION, ACCOUNT);
    // The statement itself is pinned by the key-policy tests; here, that it is filled in for this place.
    expect(report.policyFix).toEqual(
      buildLogsPolicyStatement({ partition: 'aws', region: REGION, account: ACCOUNT }),
    );
    expect(JSON.stringify(report.policyFix)).toContain(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:*`);
  });

  it('leaves a verdict that hangs on an unknown key to AWS, naming the key and the statement', () => {
    const statement = {
      ...LOGS_STATEMENT,
      Sid: 'OwnAccount',
      Condition: { ...LOGS_STATEMENT.Condition, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    };
    const assessment = assessKey(withPolicy(ROOT_STATEMENT, statement), REGION, ACCOUNT);
    expect(assessment.usable).toBe(true);
    expect(assessment.access.kind).toBe('unknown');
    expect(assessment.report.warnings).toEqual([
      {
        code: 'KEY_POLICY_CONDITION_UNEVALUATED',
        message: expect.stringMatching(/aws:SourceAccount in Allow statement OwnAccount \(may not allow\)/),
      },
    ]);
  });

  it('calls an unknown Deny "may deny", never "denies"', () => {
    const mayDeny = {
      Sid: 'OfficeOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } },
    };
    const assessment = assessKey(withPolicy(ROOT_STATEMENT, LOGS_STATEMENT, mayDeny), REGION, ACCOUNT);
    expect(assessment.report.problems).toEqual([]);
    expect(assessment.report.warnings[0]?.message).toMatch(
      /aws:SourceIp in Deny statement OfficeOnly \(may deny\)/,
    );
  });

  it.each([
    ['aws:SecureTransport', { Bool: { 'aws:SecureTransport': 'false' } }],
    [
      'aws:PrincipalOrgID with the AWS-service exemption',
      {
        StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-1' },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      },
    ],
  ])('raises no warning for a Deny on a key the request model knows: %s', (_label, condition) => {
    const statement = {
      Sid: 'Hardening',
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: condition,
    };
    expect(warningCodes(withPolicy(ROOT_STATEMENT, LOGS_STATEMENT, statement))).toEqual([]);
    expect(problemCodes(withPolicy(ROOT_STATEMENT, LOGS_STATEMENT, statement))).toEqual([]);
  });

  it('offers no policyFix when a Deny would still block it, and names that Deny', () => {
    const lockout = {
      Sid: 'OnlyRoot',
      Effect: 'Deny',
      NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    };
    const assessment = assessKey(withPolicy(ROOT_STATEMENT, lockout), REGION, ACCOUNT);
    expect(assessment.policyFix).toBeUndefined();
    expect(assessment.report.policyFix).toBeUndefined();
    expect(assessment.report.problems).toEqual([
      { code: 'KEY_POLICY_DENIES_LOGS', message: expect.stringMatching(/Deny statement OnlyRoot/) },
    ]);
  });

  it('offers no policyFix when a Deny may still block it, and names that Deny', () => {
    const mayDeny = {
      Sid: 'OfficeOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } },
    };
    const assessment = assessKey(withPolicy(ROOT_STATEMENT, mayDeny), REGION, ACCOUNT);
    expect(assessment.report.policyFix).toBeUndefined();
    expect(assessment.report.problems[0]?.message).toMatch(/Deny statement OfficeOnly may still deny/);
  });

  it('offers the policyFix when adding it would let CloudWatch Logs in', () => {
    const assessment = assessKey(withPolicy(ROOT_STATEMENT), REGION, ACCOUNT);
    expect(assessment.report.policyFix).toBeDefined();
    expect(assessment.report.problems[0]?.message).toMatch(/Add the statement in policyFix/);
  });
});

describe('checkGroupAgainstPolicy', () => {
  const scoped = withPolicy(ROOT_STATEMENT, {
    ...LOGS_STATEMENT,
    Condition: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/rds/*`,
      },
    },
  });

  it.each([
    ['/aws/rds/cluster/general', true],
    ['/aws/lambda/fn', false],
  ])('decides %s per group under a scoped policy (allowed: %s)', (name, allowed) => {
    const assessment = assessKey(scoped, REGION, ACCOUNT);
    const verdict = checkGroupAgainstPolicy(assessment, group(name).logGroupArn);
    expect(verdict.allowed).toBe(allowed);
    if (!verdict.allowed) expect(verdict.message).toMatch(/logs\.us-east-1\.amazonaws\.com.*\/aws\/rds\/\*/);
  });

  it('attempts a group whose own verdict is open', () => {
    const assessment = assessKey(
      withPolicy(ROOT_STATEMENT, LOGS_STATEMENT, {
        Sid: 'LambdaFromOffice',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:*',
        Resource: '*',
        Condition: {
          StringLike: { 'kms:EncryptionContext:aws:logs:arn': '*:log-group:/aws/lambda/*' },
          NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' },
        },
      }),
      REGION,
      ACCOUNT,
    );
    expect(assessment.access.kind).toBe('per-group');
    expect(checkGroupAgainstPolicy(assessment, group('/aws/lambda/x').logGroupArn).allowed).toBe(true);
  });

  it('names the denying statement of an explicit Deny', () => {
    const assessment = assessKey(
      withPolicy(ROOT_STATEMENT, LOGS_STATEMENT, {
        Sid: 'NoLambdaLogs',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:*',
        Resource: '*',
        Condition: { StringLike: { 'kms:EncryptionContext:aws:logs:arn': '*:log-group:/aws/lambda/*' } },
      }),
      REGION,
      ACCOUNT,
    );
    const verdict = checkGroupAgainstPolicy(assessment, group('/aws/lambda/x').logGroupArn);
    expect(verdict).toMatchObject({
      allowed: false,
      message: expect.stringMatching(/explicit Deny \(NoLambdaLogs\)/),
    });
    expect(checkGroupAgainstPolicy(assessment, group('/aws/rds/x').logGroupArn).allowed).toBe(true);
  });
});
