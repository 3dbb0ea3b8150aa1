import fc from 'fast-check';
import {
  assessPolicyScope,
  evaluateGroupAccess,
  type GroupAccess,
  type KeyPolicy,
  type LogsContext,
  parseKeyPolicy,
} from '../../lib/core/key-policy';
import type { PolicyStatement } from '../../lib/core/types';

const ctx: LogsContext = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
const HERE = 'arn:aws:logs:us-east-1:123456789012:log-group:';
const LOGS_KEY = 'kms:EncryptionContext:aws:logs:arn';
const NUM_RUNS = 500;

/** Groups of ctx's account and region. */
const HOME_GROUPS = ['/aws/rds/db1', '/app/api', '/app/xpi', '/app/api-2', '/aws/lambda/f', 'a:b'].map(
  (n) => HERE + n,
);
/** Groups elsewhere, for evaluateGroupAccess only. */
const AWAY_GROUPS = [
  'arn:aws:logs:eu-west-1:123456789012:log-group:/app/api',
  'arn:aws:logs:us-east-1:999999999999:log-group:/aws/rds/db1',
];

// ---------------------------------------------------------------------------------------------------------
// Reference model: brute force and deliberately naive (regular expressions, no automata, no scopes).
// ---------------------------------------------------------------------------------------------------------

const REQUIRED = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
];

const list = (value: string | string[] | boolean | undefined): string[] =>
  value === undefined ? [] : [value].flat().map(String);

function glob(pattern: string, flags = ''): RegExp {
  const body = [...pattern].map((c) =>
    c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
  );
  return new RegExp(`^${body.join('')}$`, flags);
}

function arnLike(pattern: string, arn: string): boolean {
  const six = (s: string) => {
    const parts = s.split(':');
    if (parts.length === 5) parts.push('');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const [p, a] = [six(pattern), six(arn)];
  return !!p && !!a && p.every((part, i) => glob(part).test(a[i] ?? ''));
}

function refClause(operator: string, values: string[], arn: string): boolean {
  switch (operator) {
    case 'StringEquals':
      return values.includes(arn);
    case 'StringLike':
      return values.some((v) => glob(v).test(arn));
    case 'ArnLike':
      return values.some((v) => arnLike(v, arn));
    case 'ArnNotLike':
      // A pattern of fewer than five parts cannot be compared, which fails a negated operator too.
      return values.every((v) => v.split(':').length >= 5) && !values.some((v) => arnLike(v, arn));
    default:
      throw new Error(`reference model does not know ${operator}`);
  }
}

function refApplies(statement: PolicyStatement, action: string, arn: string): boolean {
  const principal = statement.Principal;
  const principalOk =
    principal === '*' ||
    list(principal?.AWS).includes('*') ||
    list(principal?.Service).some((s) => s.toLowerCase() === 'logs.us-east-1.amazonaws.com');
  const actionOk = list(statement.Action).some((a) => glob(a, 'i').test(action));
  const conditionOk = Object.entries(statement.Condition ?? {}).every(([operator, block]) =>
    Object.values(block).every((values) => refClause(operator, list(values), arn)),
  );
  return principalOk && actionOk && conditionOk;
}

function refAccess(statements: PolicyStatement[], arn: string): GroupAccess {
  for (const action of REQUIRED) {
    const deny = statements.find((s) => s.Effect === 'Deny' && refApplies(s, action, arn));
    if (deny) {
      return { allowed: false, reason: 'explicit-deny', action, ...(deny.Sid ? { sid: deny.Sid } : {}) };
    }
  }
  for (const action of REQUIRED) {
    if (!statements.some((s) => s.Effect === 'Allow' && refApplies(s, action, arn))) {
      return { allowed: false, reason: 'no-allow', action };
    }
  }
  return { allowed: true };
}

// ---------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------

const principalArb = fc.constantFrom<PolicyStatement['Principal']>(
  '*',
  { AWS: '*' },
  { Service: 'logs.us-east-1.amazonaws.com' },
  { Service: 'Logs.US-East-1.amazonaws.com' },
  { Service: 'logs.eu-west-1.amazonaws.com' },
  { Service: ['ec2.amazonaws.com', 'logs.us-east-1.amazonaws.com'] },
  { Service: ['ec2.amazonaws.com', 'logs.amazonaws.com'] },
  { AWS: 'arn:aws:iam::123456789012:root' },
);

const ACTION_POOL = [
  ...REQUIRED,
  'kms:*',
  '*',
  'kms:Encrypt*',
  'kms:Decrypt*',
  'kms:Re*',
  'kms:GenerateDataKey*',
  'kms:Describe*',
  'KMS:DECRYPT',
  'kms:CreateGrant',
];
const actionArb = fc.oneof(
  fc.constantFrom(...ACTION_POOL),
  fc.uniqueArray(fc.constantFrom(...ACTION_POOL), { minLength: 1, maxLength: 6 }),
);

const PATTERN_POOL = [
  `${HERE}*`,
  `${HERE}/aws/rds/*`,
  `${HERE}/app/api`,
  `${HERE}/app/?pi`,
  `${HERE}a:*`,
  'arn:aws:logs:eu-west-1:123456789012:log-group:*',
  'arn:aws:logs:us-east-1:999999999999:log-group:*',
  'arn:aws:logs:*:123456789012:*',
  'arn:aws:logs:us-east-1:123456789012:*',
  'arn:aws:logs:*:log-group:*',
  '*',
];
const conditionArb = fc.record({
  operator: fc.constantFrom('ArnLike', 'StringEquals', 'StringLike', 'ArnNotLike'),
  values: fc.oneof(
    fc.constantFrom(...PATTERN_POOL),
    fc.uniqueArray(fc.constantFrom(...PATTERN_POOL), { maxLength: 3 }),
  ),
});

const statementArb: fc.Arbitrary<PolicyStatement> = fc
  .record(
    {
      Sid: fc.constantFrom('S1', 'S2'),
      Effect: fc.constantFrom<PolicyStatement['Effect']>('Allow', 'Deny'),
      Principal: principalArb,
      Action: actionArb,
      condition: conditionArb,
    },
    { requiredKeys: ['Effect', 'Principal', 'Action'] },
  )
  .map(({ condition, ...statement }) => ({
    ...statement,
    Resource: '*',
    ...(condition ? { Condition: { [condition.operator]: { [LOGS_KEY]: condition.values } } } : {}),
  }));

const statementsArb = fc.array(statementArb, { minLength: 1, maxLength: 4 });
const groupArb = fc.constantFrom(...HOME_GROUPS, ...AWAY_GROUPS);

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

let casesRun = 0;

/** Run a property for NUM_RUNS cases, counting them for the summary line. */
function check<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void): void {
  fc.assert(
    fc.property(arb, (value) => {
      casesRun++;
      predicate(value);
    }),
    { numRuns: NUM_RUNS },
  );
}

afterAll(() => {
  console.log(`key-policy properties: ${casesRun} generated cases run`);
});

describe('key-policy properties', () => {
  it('evaluateGroupAccess agrees with the brute-force reference model', () => {
    check(fc.tuple(statementsArb, groupArb), ([statements, arn]) => {
      expect(evaluateGroupAccess({ statements }, ctx, arn)).toStrictEqual(refAccess(statements, arn));
    });
  });

  it('a policy evaluates the same after a round trip through JSON text', () => {
    check(fc.tuple(statementsArb, groupArb), ([statements, arn]) => {
      const parsed = parseKeyPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
      if (!parsed.ok) throw new Error(parsed.message);
      expect(evaluateGroupAccess(parsed.policy, ctx, arn)).toStrictEqual(
        evaluateGroupAccess({ statements }, ctx, arn),
      );
    });
  });

  it('all-groups means every group of the account and region is allowed, no-groups that none is', () => {
    check(statementsArb, (statements) => {
      const policy: KeyPolicy = { statements };
      const scope = assessPolicyScope(policy, ctx);
      const allowed = HOME_GROUPS.map((arn) => evaluateGroupAccess(policy, ctx, arn).allowed);
      if (scope.scope === 'all-groups') expect(allowed).not.toContain(false);
      if (scope.scope === 'no-groups') expect(allowed).not.toContain(true);
    });
  });

  it('an unconditional Deny of kms:* for CloudWatch Logs denies every group', () => {
    const denyAll: PolicyStatement = {
      Effect: 'Deny',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Action: 'kms:*',
      Resource: '*',
    };
    check(fc.tuple(statementsArb, fc.nat()), ([statements, at]) => {
      const withDeny = statements.toSpliced(at % (statements.length + 1), 0, denyAll);
      const policy: KeyPolicy = { statements: withDeny };
      expect(assessPolicyScope(policy, ctx)).toMatchObject({ scope: 'no-groups', reason: 'explicit-deny' });
      for (const arn of [...HOME_GROUPS, ...AWAY_GROUPS]) {
        expect(evaluateGroupAccess(policy, ctx, arn)).toMatchObject({
          allowed: false,
          reason: 'explicit-deny',
        });
      }
    });
  });
});
