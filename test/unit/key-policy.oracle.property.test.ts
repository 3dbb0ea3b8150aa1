/**
 * Differential test: the product's key-policy verdicts against an independent IAM evaluator
 * (@cloud-copilot/iam-simulate, see test/support/iam-oracle.ts) over generated policies.
 *
 * Agreement rule, per group: the product's verdict equals the oracle's over every world, with one documented
 * exception. The product may say `unknown` where every world the oracle tried gives one answer: three-valued
 * logic cannot see that two open statements cover each other (Deny if K = a, Deny if K != a), and sampling
 * may miss the one value that changes the answer. Then the product is on the safe side (the association is
 * attempted and AWS decides), and the test still holds it to naming only keys the request model leaves open.
 */
import fc from 'fast-check';
import {
  assessPolicyScope,
  evaluateGroupAccess,
  type LogsContext,
  parseKeyPolicy,
} from '../../lib/core/key-policy';
import { lookUpLogsRequestKey } from '../../lib/core/logs-request-context';
import { oracleVerdict, type Verdict } from '../support/iam-oracle';

const ctx: LogsContext = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
const HERE = 'arn:aws:logs:us-east-1:123456789012:log-group:';
const LOGS_KEY = 'kms:EncryptionContext:aws:logs:arn';
const GROUPS = ['/app/api', '/aws/rds/db1', '/app/x:y', 'plain'].map((n) => HERE + n);
const NUM_RUNS = 400;

// ---------------------------------------------------------------------------------------------------------
// Generators: the keys and operators of real key policies, with wrong spellings and types mixed in
// ---------------------------------------------------------------------------------------------------------

const principalArb = fc.constantFrom<Record<string, unknown>>(
  { Principal: '*' },
  { Principal: { AWS: '*' } },
  { Principal: { Service: 'logs.us-east-1.amazonaws.com' } },
  { Principal: { Service: ['delivery.logs.amazonaws.com', 'logs.us-east-1.amazonaws.com'] } },
  { Principal: { Service: 'logs.amazonaws.com' } },
  { Principal: { AWS: 'arn:aws:iam::123456789012:root' } },
  { NotPrincipal: { AWS: 'arn:aws:iam::123456789012:root' } },
  { NotPrincipal: { Service: 'logs.us-east-1.amazonaws.com' } },
);

const actionArb = fc.constantFrom<Record<string, unknown>>(
  { Action: 'kms:*' },
  { Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'] },
  { Action: ['kms:Encrypt', 'kms:Decrypt'] },
  { Action: 'kms:GenerateDataKey*' },
  { NotAction: 'kms:Describe*' },
  { NotAction: ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'] },
);

const arnPatternArb = fc.constantFrom(
  `${HERE}*`,
  `${HERE}/app/*`,
  `${HERE}/app/api`,
  'arn:aws:logs:us-east-1:999999999999:log-group:*',
  'arn:aws:logs:*:*:log-group:/aws/*',
  'arn:aws:logs:us-east-?:123456789012:*',
  'arn:aws:logs:us-east-1:*',
  '*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variables
  'arn:aws:logs:${aws:RequestedRegion}:123456789012:log-group:*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variables
  'arn:aws:logs:us-east-1:${aws:SourceAccount}:log-group:*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variables
  'arn:aws:logs:us-east-1:${aws:PrincipalAccount}:log-group:*',
);

const withIfExists = (ops: string[]) =>
  fc.tuple(fc.constantFrom(...ops), fc.boolean()).map(([o, e]) => (e ? `${o}IfExists` : o));
const stringOps = [
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'StringEqualsIgnoreCase',
];
const arnOps = ['ArnLike', 'ArnEquals', 'ArnNotLike', 'ArnNotEquals'];

/** One clause: [operator, key, values]. */
const clauseArb: fc.Arbitrary<[string, string, string | string[]]> = fc.oneof(
  fc.tuple(
    withIfExists([...arnOps, 'StringLike', 'StringNotLike', 'StringEquals']),
    fc.constant(LOGS_KEY),
    fc.array(arnPatternArb, { minLength: 1, maxLength: 2 }),
  ),
  fc.tuple(
    fc.constantFrom('ForAnyValue:ArnLike', 'ForAllValues:StringNotLike'),
    fc.constant(LOGS_KEY),
    arnPatternArb,
  ),
  fc.tuple(
    withIfExists(['Bool']),
    fc.constantFrom(
      'aws:SecureTransport',
      'aws:PrincipalIsAWSService',
      'aws:ViaAWSService',
      'aws:MultiFactorAuthPresent',
    ),
    fc.constantFrom('true', 'false'),
  ),
  fc.tuple(
    withIfExists(stringOps),
    fc.constantFrom('aws:PrincipalOrgID', 'aws:PrincipalAccount', 'kms:CallerAccount', 'aws:SourceAccount'),
    fc.constantFrom('o-a1b2c3d4e5', '123456789012', '999999999999'),
  ),
  fc.tuple(
    withIfExists(arnOps),
    fc.constantFrom('aws:PrincipalArn', 'aws:SourceArn'),
    fc.constantFrom('arn:aws:iam::123456789012:role/*', `${HERE}*`),
  ),
  fc.tuple(
    withIfExists(stringOps),
    fc.constantFrom('kms:ViaService', 'aws:PrincipalServiceName', 'aws:RequestedRegion'),
    fc.constantFrom(
      'logs.us-east-1.amazonaws.com',
      'logs.amazonaws.com',
      'us-east-1',
      'eu-west-1',
      '*.amazonaws.com',
    ),
  ),
  fc.tuple(
    withIfExists(['IpAddress', 'NotIpAddress']),
    fc.constant('aws:SourceIp'),
    fc.constantFrom('192.0.2.0/24', '10.0.0.0/8'),
  ),
  fc.tuple(
    withIfExists(['DateLessThan', 'DateGreaterThan']),
    fc.constant('aws:CurrentTime'),
    fc.constant('2030-01-01T00:00:00Z'),
  ),
  fc.tuple(
    withIfExists(['NumericLessThan', 'NumericNotEquals']),
    fc.constantFrom('aws:MultiFactorAuthAge', 'aws:SecureTransport'),
    fc.constant('3600'),
  ),
  fc.tuple(
    fc.constant('Null'),
    fc.constantFrom('aws:PrincipalArn', 'aws:SourceVpce', LOGS_KEY, 'aws:SourceIp'),
    fc.constantFrom('true', 'false'),
  ),
  fc.tuple(
    fc.constantFrom(
      'ForAllValues:StringEquals',
      'ForAnyValue:StringEquals',
      'StringEquals',
      'ForAnyValue:StringNotEquals',
    ),
    fc.constant('kms:EncryptionContextKeys'),
    fc.constantFrom('aws:logs:arn', 'aws-crypto-ec:aws:logs:arn'),
  ),
  fc.tuple(
    fc.constantFrom('ArnLike', 'StringLike'),
    fc.constant('kms:EncryptionContext:aws-crypto-ec:aws:logs:arn'),
    arnPatternArb,
  ),
);

function conditionOf(
  clauses: [string, string, string | string[]][],
): Record<string, Record<string, unknown>> {
  const condition: Record<string, Record<string, unknown>> = {};
  for (const [operator, key, values] of clauses)
    condition[operator] = { ...condition[operator], [key]: values };
  return condition;
}

const statementArb = fc
  .record({
    effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
    principal: principalArb,
    action: actionArb,
    clauses: fc.array(clauseArb, { maxLength: 2 }),
  })
  .map(({ effect, principal, action, clauses }) => ({
    Effect: effect,
    ...principal,
    ...action,
    Resource: '*',
    ...(clauses.length > 0 ? { Condition: conditionOf(clauses) } : {}),
  }));

const policyArb = fc.array(statementArb, { minLength: 1, maxLength: 3 }).map((statements) => ({
  Version: '2012-10-17',
  Statement: statements.map((s, i) => ({ Sid: `S${i}`, ...s })),
}));

// ---------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------

function productVerdict(policy: object, arn: string): { verdict: Verdict; keys: string[] } {
  const parsed = parseKeyPolicy(JSON.stringify(policy));
  if (!parsed.ok) throw new Error(parsed.message);
  const access = evaluateGroupAccess(parsed.policy, ctx, arn);
  if (access.allowed === 'unknown')
    return { verdict: 'unknown', keys: access.unknowns.flatMap((u) => u.keys) };
  return { verdict: access.allowed ? 'allow' : 'deny', keys: [] };
}

const tally = { cases: 0, groups: 0, agree: 0, safeSideUnknown: 0, worlds: 0, allow: 0, deny: 0, unknown: 0 };

describe('key-policy verdicts agree with an independent IAM evaluator', () => {
  afterAll(() => {
    // One line for the logs: how much was compared and how often the documented exception applied.
    console.log(`key-policy oracle: ${JSON.stringify(tally)}`);
  });

  it("gives every group the oracle's verdict, or a safe-side unknown naming open keys only", () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        tally.cases++;
        for (const arn of GROUPS) {
          tally.groups++;
          const oracle = oracleVerdict(policy, ctx, arn);
          tally.worlds += oracle.worlds;
          const product = productVerdict(policy, arn);
          tally[product.verdict]++;
          if (product.verdict === oracle.verdict) {
            tally.agree++;
            continue;
          }
          expect({ arn, product: product.verdict }).toEqual({ arn, product: 'unknown' });
          tally.safeSideUnknown++;
          const facts = { region: ctx.region, account: ctx.account, groupArn: arn };
          for (const key of product.keys)
            expect(lookUpLogsRequestKey(key, facts)?.kind ?? 'open').toMatch(/one-of|open/);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('calls a key all-groups or no-groups only when the oracle agrees for every group', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const parsed = parseKeyPolicy(JSON.stringify(policy));
        if (!parsed.ok) throw new Error(parsed.message);
        const scope = assessPolicyScope(parsed.policy, ctx);
        const certain = { 'all-groups': 'allow', 'no-groups': 'deny' } as Record<string, Verdict>;
        const expected = certain[scope.scope];
        if (expected === undefined) return;
        for (const arn of GROUPS)
          expect([arn, oracleVerdict(policy, ctx, arn).verdict]).toEqual([arn, expected]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
