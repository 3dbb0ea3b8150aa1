import {
  assessPolicyScope,
  buildLogsPolicyStatement,
  evaluateGroupAccess,
  type GroupAccess,
  type KeyPolicy,
  LOGS_ARN_CONTEXT_KEY,
  LOGS_KEY_POLICY_ACTIONS,
  type LogsContext,
  logGroupArnPrefix,
  logsServicePrincipal,
  type PolicyScope,
  parseKeyPolicy,
  unevaluatedConditionKeys,
} from '../../lib/core/key-policy';
import type { PolicyStatement } from '../../lib/core/types';

const ACCOUNT = '111122223333';
const ctx: LogsContext = { partition: 'aws', region: 'us-east-1', account: ACCOUNT };
const LOGS = 'logs.us-east-1.amazonaws.com';

/** The ARN of a log group of `ctx` (without `:*`). */
const group = (name: string): string => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;

/** A policy as KMS returns it: JSON text, parsed by the module under test. */
function policyOf(...statements: object[]): KeyPolicy {
  const parsed = parseKeyPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  if (!parsed.ok) throw new Error(`test policy does not parse: ${parsed.message}`);
  return parsed.policy;
}

/** The statement the AWS console puts in every new key policy: the account, not CloudWatch Logs. */
const consoleDefault = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

/** The CloudWatch Logs statement of the AWS docs, with the given condition operator and context values. */
function docsStatement(values: string | string[] = group('*'), operator = 'ArnLike'): object {
  return {
    Effect: 'Allow',
    Principal: { Service: LOGS },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
    Condition: { [operator]: { [LOGS_ARN_CONTEXT_KEY]: values } },
  };
}

/** An unconditional statement for CloudWatch Logs; override any field. */
function logsStatement(overrides: object = {}): object {
  return { Effect: 'Allow', Principal: { Service: LOGS }, Action: 'kms:*', Resource: '*', ...overrides };
}

/** Allow everything to CloudWatch Logs, then deny `action` under `condition`. */
function allowThenDeny(deny: object): object[] {
  return [logsStatement(), logsStatement({ Sid: 'DenyLogs', Effect: 'Deny', ...deny })];
}

const ALLOWED: GroupAccess = { allowed: true };
const noAllow = (action: string): GroupAccess => ({ allowed: false, reason: 'no-allow', action });
const ALL: PolicyScope = { scope: 'all-groups' };
const none = (reason: 'no-allow' | 'explicit-deny', action: string, sid?: string): PolicyScope =>
  sid === undefined ? { scope: 'no-groups', reason, action } : { scope: 'no-groups', reason, action, sid };

describe('logsServicePrincipal', () => {
  it('is the regional CloudWatch Logs service principal', () => {
    expect(logsServicePrincipal('eu-west-1')).toBe('logs.eu-west-1.amazonaws.com');
  });
});

describe('assessPolicyScope decides for every log group of the account and region', () => {
  it.each<[string, object[], PolicyScope]>([
    [
      'the AWS console default key policy (account root only) allows no group',
      [consoleDefault],
      none('no-allow', 'kms:Encrypt'),
    ],
    ['an empty Statement list allows no group', [], none('no-allow', 'kms:Encrypt')],
    [
      'the AWS docs statement (ArnLike log-group:*) allows every group',
      [consoleDefault, docsStatement()],
      ALL,
    ],
    [
      'ArnLike with a `?` in the region allows every group',
      [docsStatement('arn:aws:logs:us-east-?:111122223333:log-group:*')],
      ALL,
    ],
    [
      'ArnLike with a bare `*` resource component allows every group',
      [docsStatement(`arn:aws:logs:us-east-1:${ACCOUNT}:*`)],
      ALL,
    ],
    [
      'ArnLike with wildcards for region and account allows every group',
      [docsStatement('arn:aws:logs:*:*:log-group:*')],
      ALL,
    ],
    ['ArnEquals with a wildcard works like ArnLike', [docsStatement(group('*'), 'ArnEquals')], ALL],
    [
      'ArnLikeIfExists works like ArnLike (the key always exists)',
      [docsStatement(group('*'), 'ArnLikeIfExists')],
      ALL,
    ],
    [
      'ForAnyValue:StringLike works like StringLike',
      [docsStatement(group('*'), 'ForAnyValue:StringLike')],
      ALL,
    ],
    [
      'StringLike over the whole ARN allows every group',
      [docsStatement(`arn:aws:logs:us-east-1:${ACCOUNT}:*`, 'StringLike')],
      ALL,
    ],
    [
      'a condition key spelt in lower case is still the logs ARN key',
      [logsStatement({ Condition: { ArnLike: { 'KMS:encryptioncontext:AWS:LOGS:ARN': group('*') } } })],
      ALL,
    ],
    [
      'a pattern naming another account allows no group',
      [docsStatement(`arn:aws:logs:us-east-1:999999999999:log-group:*`)],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'a pattern naming another region allows no group',
      [docsStatement(`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*`)],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      "StringEquals naming another account's group allows no group",
      [docsStatement('arn:aws:logs:us-east-1:999999999999:log-group:/app', 'StringEquals')],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'ArnLike with fewer than six ARN components matches no ARN',
      [docsStatement('*')],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'ArnNotLike naming another account allows every group',
      [docsStatement('arn:aws:logs:us-east-1:999999999999:log-group:*', 'ArnNotLike')],
      ALL,
    ],
    ['Null false on the logs ARN key holds', [docsStatement('false', 'Null')], ALL],
    [
      'Null true on the logs ARN key never holds',
      [docsStatement('true', 'Null')],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'Bool on the logs ARN key never holds',
      [docsStatement('true', 'Bool')],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'Principal "*" allows every group',
      [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
      ALL,
    ],
    ['Principal {"AWS": "*"} allows every group', [logsStatement({ Principal: { AWS: '*' } })], ALL],
    ['Principal {"AWS": ["*"]} allows every group', [logsStatement({ Principal: { AWS: ['*'] } })], ALL],
    [
      'a Service principal in a list allows every group',
      [logsStatement({ Principal: { Service: ['ec2.amazonaws.com', LOGS] } })],
      ALL,
    ],
    [
      'service names compare case-insensitively',
      [logsStatement({ Principal: { Service: 'LOGS.US-EAST-1.AMAZONAWS.COM' } })],
      ALL,
    ],
    [
      'the logs principal of another region allows no group',
      [logsStatement({ Principal: { Service: 'logs.eu-west-1.amazonaws.com' } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'the global logs.amazonaws.com principal allows no group',
      [logsStatement({ Principal: { Service: 'logs.amazonaws.com' } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'NotPrincipal listing only the account applies to CloudWatch Logs',
      [logsStatement({ Principal: undefined, NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })],
      ALL,
    ],
    [
      'NotPrincipal listing CloudWatch Logs excludes it',
      [logsStatement({ Principal: undefined, NotPrincipal: { Service: LOGS } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    ['Action "*" allows every group', [logsStatement({ Action: '*' })], ALL],
    ['actions compare case-insensitively', [logsStatement({ Action: ['KMS:*'] })], ALL],
    [
      'the six concrete actions are enough',
      [
        logsStatement({
          Action: [
            'kms:encrypt',
            'kms:decrypt',
            'kms:reencryptfrom',
            'kms:reencryptto',
            'kms:generatedatakey',
            'kms:describekey',
          ],
        }),
      ],
      ALL,
    ],
    [
      'kms:Re* covers both ReEncrypt actions',
      [
        logsStatement({
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:Re*', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        }),
      ],
      ALL,
    ],
    [
      'an action list without ReEncrypt allows no group, naming kms:ReEncryptFrom',
      [logsStatement({ Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'] })],
      none('no-allow', 'kms:ReEncryptFrom'),
    ],
    [
      'an action list without ReEncryptTo names kms:ReEncryptTo',
      [
        logsStatement({
          Action: [
            'kms:Encrypt*',
            'kms:Decrypt*',
            'kms:ReEncryptFrom',
            'kms:GenerateDataKey*',
            'kms:Describe*',
          ],
        }),
      ],
      none('no-allow', 'kms:ReEncryptTo'),
    ],
    [
      'NotAction allows every action it does not list',
      [logsStatement({ Action: undefined, NotAction: ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'] })],
      ALL,
    ],
    [
      'NotAction listing kms:* allows nothing',
      [logsStatement({ Action: undefined, NotAction: 'kms:*' })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'Resource as the key ARN still names this key',
      [
        logsStatement({
          Resource: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        }),
      ],
      ALL,
    ],
    [
      'NotResource "*" excludes this key',
      [logsStatement({ Resource: undefined, NotResource: '*' })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'NotResource naming another key still covers this key',
      [logsStatement({ Resource: undefined, NotResource: 'arn:aws:kms:us-east-1:111122223333:key/other' })],
      ALL,
    ],
    [
      'an unconditional Deny of kms:* wins over the Allow',
      allowThenDeny({}),
      none('explicit-deny', 'kms:Encrypt', 'DenyLogs'),
    ],
    [
      'a Deny of one action names that action',
      allowThenDeny({ Action: 'kms:Decrypt' }),
      none('explicit-deny', 'kms:Decrypt', 'DenyLogs'),
    ],
    [
      'an explicit Deny is reported before a missing Allow',
      [
        logsStatement({ Action: 'kms:Decrypt*' }),
        logsStatement({ Effect: 'Deny', Action: 'kms:DescribeKey' }),
      ],
      none('explicit-deny', 'kms:DescribeKey'),
    ],
    [
      'a Deny with NotPrincipal naming the account denies CloudWatch Logs',
      allowThenDeny({ Principal: undefined, NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }),
      none('explicit-deny', 'kms:Encrypt', 'DenyLogs'),
    ],
    [
      'a Deny for another principal does not apply',
      allowThenDeny({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Intern` } }),
      ALL,
    ],
    [
      'a Deny with NotAction listing the logs actions denies none of them',
      allowThenDeny({ NotAction: [...LOGS_KEY_POLICY_ACTIONS], Action: undefined }),
      ALL,
    ],
    [
      'a Deny scoped to another account does not apply',
      allowThenDeny({ Condition: { ArnLike: { [LOGS_ARN_CONTEXT_KEY]: 'arn:aws:logs:*:999999999999:*' } } }),
      ALL,
    ],
  ])('%s', (_title, statements, expected) => {
    // Prepare
    const policy = policyOf(...statements);
    // Act
    const scope = assessPolicyScope(policy, ctx);
    // Assess
    expect(scope).toEqual(expected);
  });

  it.each<[string, object[], string[]]>([
    ['the docs statement scoped to one group', [docsStatement(group('/app/api'))], [group('/app/api')]],
    ['StringEquals on one group', [docsStatement(group('/app/api'), 'StringEquals')], [group('/app/api')]],
    ['StringLike on a name prefix', [docsStatement(group('/app/*'), 'StringLike')], [group('/app/*')]],
    [
      'ArnEquals with a wildcard in the name',
      [docsStatement(group('/app/*'), 'ArnEquals')],
      [group('/app/*')],
    ],
    [
      'ArnLike with several values',
      [docsStatement([group('/a/*'), group('/b/*')])],
      [group('/a/*'), group('/b/*')],
    ],
    [
      'an Allow with StringNotLike',
      [docsStatement(group('/aws/rds/*'), 'StringNotLike')],
      [`not ${group('/aws/rds/*')}`],
    ],
    [
      'a Deny scoped to /aws/rds/*',
      allowThenDeny({ Condition: { StringLike: { [LOGS_ARN_CONTEXT_KEY]: group('/aws/rds/*') } } }),
      [`not ${group('/aws/rds/*')}`],
    ],
    [
      'actions allowed for different groups',
      [logsStatement({ Action: 'kms:Encrypt' }), docsStatement(group('/app/*'))],
      [group('/app/*')],
    ],
  ])('%s scopes the grant: some-groups', (_title, statements, patterns) => {
    expect(assessPolicyScope(policyOf(...statements), ctx)).toEqual({
      scope: 'some-groups',
      patterns,
      unknowns: [],
    });
  });
});

const perimeterDeny = {
  Sid: 'EnforceIdentityPerimeter',
  Effect: 'Deny',
  Principal: '*',
  Action: 'kms:*',
  Resource: '*',
  Condition: {
    StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
    BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
  },
};
const anyone = (condition: object, sid = 'AnyoneIf') => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 'kms:*',
  Resource: '*',
  Condition: condition,
});
const open = (action: string, ...unknowns: object[]): PolicyScope =>
  ({ scope: 'unknown', action, unknowns }) as PolicyScope;

describe('assessPolicyScope judges conditions against the request CloudWatch Logs makes', () => {
  it.each<[string, object[], PolicyScope]>([
    [
      'a Deny of plain HTTP leaves the service alone (aws:SecureTransport is true)',
      [
        docsStatement(),
        {
          Sid: 'DenyHttp',
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
      ALL,
    ],
    ['the data-perimeter Deny exempts AWS services', [docsStatement(), perimeterDeny], ALL],
    [
      'aws:SourceAccount naming another account never holds',
      [logsStatement({ Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'aws:SourceAccount naming the own account is open: the key may be absent',
      [logsStatement({ Sid: 'Own', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } })],
      open('kms:Encrypt', { effect: 'Allow', sid: 'Own', keys: ['aws:SourceAccount'] }),
    ],
    [
      '{"AWS": "*"} with aws:PrincipalArn lets no service in',
      [anyone({ ArnLike: { 'aws:PrincipalARN': `arn:aws:iam::${ACCOUNT}:role/*` } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      '{"AWS": "*"} with kms:ViaService lets no service principal in',
      [anyone({ StringEquals: { 'kms:ViaService': 'logs.us-east-1.amazonaws.com' } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      '{"AWS": "*"} with kms:CallerAccount lets no service principal in',
      [anyone({ StringEquals: { 'kms:CallerAccount': ACCOUNT } })],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      "the anomaly detector's context key is not the log group's",
      [
        logsStatement({
          Condition: { ArnLike: { 'kms:EncryptionContext:aws-crypto-ec:aws:logs:arn': group('*') } },
        }),
      ],
      none('no-allow', 'kms:Encrypt'),
    ],
    [
      'a Deny outside a source IP range may deny',
      [
        docsStatement(),
        {
          Sid: 'OnlyFromOffice',
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:*',
          Resource: '*',
          Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } },
        },
      ],
      open('kms:Encrypt', { effect: 'Deny', sid: 'OnlyFromOffice', keys: ['aws:SourceIp'] }),
    ],
    [
      'a policy variable with an open value leaves the verdict open',
      [
        logsStatement({
          Condition: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
            ArnLike: { [LOGS_ARN_CONTEXT_KEY]: 'arn:aws:logs:us-east-1:${aws:SourceAccount}:log-group:*' },
          },
        }),
      ],
      open('kms:Encrypt', { effect: 'Allow', keys: ['aws:SourceAccount'] }),
    ],
    [
      'a policy variable on a known key is filled in',
      [
        logsStatement({
          Condition: {
            ArnLike: {
              [LOGS_ARN_CONTEXT_KEY]: `arn:aws:logs:\${aws:RequestedRegion}:${ACCOUNT}:log-group:*`,
            },
          },
        }),
      ],
      ALL,
    ],
    [
      'a short ARN pattern cannot be compared, so ArnNotLike fails and the Deny does not hold',
      [
        docsStatement(),
        {
          Sid: 'DenyOthers',
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:*',
          Resource: '*',
          Condition: { ArnNotLike: { [LOGS_ARN_CONTEXT_KEY]: 'arn:aws:logs:*' } },
        },
      ],
      ALL,
    ],
    [
      'a five-part ARN pattern is read with an empty sixth part, so ArnNotLike holds and the Deny applies',
      [
        docsStatement(),
        {
          Sid: 'DenyOthers',
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:*',
          Resource: '*',
          Condition: { ArnNotLike: { [LOGS_ARN_CONTEXT_KEY]: 'arn:aws:logs:us-east-1:*' } },
        },
      ],
      none('explicit-deny', 'kms:Encrypt', 'DenyOthers'),
    ],
    [
      'NotPrincipal naming only IAM principals applies to the service',
      [
        docsStatement(),
        {
          Sid: 'DenyAllButAdmin',
          Effect: 'Deny',
          NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          NotAction: 'kms:Describe*',
          Resource: '*',
        },
      ],
      none('explicit-deny', 'kms:Encrypt', 'DenyAllButAdmin'),
    ],
    [
      'a Null check that the principal ARN is absent holds for the service',
      [logsStatement({ Condition: { Null: { 'aws:PrincipalArn': 'true' } } })],
      ALL,
    ],
    [
      'ForAllValues on the encryption context keys holds for the one logs key',
      [
        logsStatement({
          Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['aws:logs:arn'] } },
        }),
      ],
      ALL,
    ],
  ])('%s', (_title, statements, expected) => {
    expect(assessPolicyScope(policyOf(...statements), ctx)).toEqual(expected);
  });
});

describe('evaluateGroupAccess decides for one log group', () => {
  it.each<[string, object[], string, GroupAccess]>([
    ['the docs statement allows a group of the account', [docsStatement()], group('/aws/lambda/f'), ALLOWED],
    [
      'the docs statement does not allow a group of another region',
      [docsStatement()],
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/x`,
      noAllow('kms:Encrypt'),
    ],
    [
      'a trailing :* on the group ARN is ignored',
      [docsStatement(group('/app/api'), 'StringEquals')],
      `${group('/app/api')}:*`,
      ALLOWED,
    ],
    [
      'a grant scoped to one group allows that group',
      [docsStatement(group('/app/api'))],
      group('/app/api'),
      ALLOWED,
    ],
    [
      'a grant scoped to one group refuses a longer name',
      [docsStatement(group('/app/api'))],
      group('/app/api-2'),
      noAllow('kms:Encrypt'),
    ],
    [
      'a grant scoped to one group refuses a child name',
      [docsStatement(group('/app/api'))],
      group('/app/api/x'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringEquals matches the exact ARN',
      [docsStatement(group('/App'), 'StringEquals')],
      group('/App'),
      ALLOWED,
    ],
    [
      'StringEquals is case-sensitive',
      [docsStatement(group('/App'), 'StringEquals')],
      group('/app'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringEquals treats * literally',
      [docsStatement(group('*'), 'StringEquals')],
      group('/app'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringEqualsIgnoreCase ignores case',
      [docsStatement(group('/App'), 'StringEqualsIgnoreCase')],
      group('/app'),
      ALLOWED,
    ],
    [
      'StringLike * matches any run of characters',
      [docsStatement(group('/app/*'), 'StringLike')],
      group('/app/a/b'),
      ALLOWED,
    ],
    [
      'StringLike ? matches exactly one character',
      [docsStatement(group('/app/?'), 'StringLike')],
      group('/app/ab'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringLike * crosses colons',
      [docsStatement('arn:aws:logs:*:log-group:*', 'StringLike')],
      group('/app'),
      ALLOWED,
    ],
    [
      'ArnLike * stays within one ARN component',
      [docsStatement('arn:aws:logs:*:log-group:*')],
      group('/app'),
      noAllow('kms:Encrypt'),
    ],
    [
      'ArnEquals accepts wildcards like ArnLike',
      [docsStatement(group('/app/*'), 'ArnEquals')],
      group('/app/x'),
      ALLOWED,
    ],
    [
      'several values are alternatives',
      [docsStatement([group('/a'), group('/b')], 'StringEquals')],
      group('/b'),
      ALLOWED,
    ],
    [
      'StringNotEquals refuses the listed group',
      [docsStatement(group('/secret'), 'StringNotEquals')],
      group('/secret'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringNotEquals allows other groups',
      [docsStatement(group('/secret'), 'StringNotEquals')],
      group('/app'),
      ALLOWED,
    ],
    [
      'ArnNotLike refuses a group matching any value',
      [docsStatement([group('/a/*'), group('/b/*')], 'ArnNotLike')],
      group('/b/x'),
      noAllow('kms:Encrypt'),
    ],
    [
      'ArnNotEquals allows a group matching no value',
      [docsStatement([group('/a/*'), group('/b/*')], 'ArnNotEquals')],
      group('/c'),
      ALLOWED,
    ],
    [
      'StringNotEqualsIgnoreCase refuses the group in any case',
      [docsStatement(group('/SECRET'), 'StringNotEqualsIgnoreCase')],
      group('/secret'),
      noAllow('kms:Encrypt'),
    ],
    [
      'StringLikeIfExists works like StringLike',
      [docsStatement(group('/app/*'), 'StringLikeIfExists')],
      group('/app/x'),
      ALLOWED,
    ],
    [
      'ForAllValues:StringEquals works like StringEquals',
      [docsStatement(group('/app'), 'ForAllValues:StringEquals')],
      group('/app'),
      ALLOWED,
    ],
    [
      'operators are ANDed',
      [
        logsStatement({
          Condition: {
            StringLike: { [LOGS_ARN_CONTEXT_KEY]: group('/app/*') },
            StringNotLike: { [LOGS_ARN_CONTEXT_KEY]: group('/app/secret*') },
          },
        }),
      ],
      group('/app/secret1'),
      noAllow('kms:Encrypt'),
    ],
    [
      'operators are ANDed (both hold)',
      [
        logsStatement({
          Condition: {
            StringLike: { [LOGS_ARN_CONTEXT_KEY]: group('/app/*') },
            StringNotLike: { [LOGS_ARN_CONTEXT_KEY]: group('/app/secret*') },
          },
        }),
      ],
      group('/app/public'),
      ALLOWED,
    ],
    [
      'a Deny scoped to /aws/rds/* denies an RDS group',
      allowThenDeny({ Condition: { StringLike: { [LOGS_ARN_CONTEXT_KEY]: group('/aws/rds/*') } } }),
      group('/aws/rds/db1'),
      { allowed: false, reason: 'explicit-deny', action: 'kms:Encrypt', sid: 'DenyLogs' },
    ],
    [
      'a Deny scoped to /aws/rds/* leaves other groups allowed',
      allowThenDeny({ Condition: { StringLike: { [LOGS_ARN_CONTEXT_KEY]: group('/aws/rds/*') } } }),
      group('/aws/lambda/f'),
      ALLOWED,
    ],
    [
      'a Deny without Sid reports no sid',
      [logsStatement(), logsStatement({ Effect: 'Deny', Action: 'kms:GenerateDataKey*' })],
      group('/x'),
      { allowed: false, reason: 'explicit-deny', action: 'kms:GenerateDataKey' },
    ],
    [
      'actions allowed for different groups: the first missing one is named',
      [logsStatement({ Action: 'kms:Encrypt' }), docsStatement(group('/app/*'))],
      group('/other'),
      noAllow('kms:Decrypt'),
    ],
  ])('%s', (_title, statements, arn, expected) => {
    // Prepare
    const policy = policyOf(...statements);
    // Act
    const access = evaluateGroupAccess(policy, ctx, arn);
    // Assess
    expect(access).toStrictEqual(expected);
  });
});

describe('unevaluatedConditionKeys', () => {
  it.each<[string, object[], string[]]>([
    ['is empty for the docs statement', [consoleDefault, docsStatement()], []],
    [
      'names each other key of a statement for CloudWatch Logs, once',
      [
        logsStatement({
          Condition: {
            StringEquals: { 'aws:SourceAccount': ACCOUNT },
            ArnLike: { 'aws:SourceArn': group('*') },
          },
        }),
        logsStatement({ Effect: 'Deny', Condition: { StringNotEquals: { 'AWS:SOURCEACCOUNT': ACCOUNT } } }),
      ],
      ['aws:SourceAccount', 'aws:SourceArn'],
    ],
    [
      'ignores statements for other principals',
      [
        {
          ...consoleDefault,
          Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } },
        },
      ],
      [],
    ],
    [
      'ignores statements that cannot match a group of the account',
      [
        docsStatement('arn:aws:logs:*:999999999999:*'),
        logsStatement({
          Condition: {
            ArnLike: { [LOGS_ARN_CONTEXT_KEY]: 'arn:aws:logs:*:999999999999:*' },
            StringEquals: { 'kms:CallerAccount': '999999999999' },
          },
        }),
      ],
      [],
    ],
  ])('%s', (_title, statements, keys) => {
    expect(unevaluatedConditionKeys(policyOf(...statements), ctx)).toEqual(keys);
  });
});

describe('buildLogsPolicyStatement', () => {
  it('is the AWS docs statement for the account and region', () => {
    expect(buildLogsPolicyStatement(ctx)).toStrictEqual<PolicyStatement>({
      Sid: 'AllowCloudWatchLogsForLogGroupsInThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:111122223333:log-group:*' },
      },
    });
  });

  it.each<[string, LogsContext]>([
    ['aws', ctx],
    ['aws-cn', { partition: 'aws-cn', region: 'cn-north-1', account: '123456789012' }],
    ['aws-us-gov', { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '123456789012' }],
  ])('added to the console default policy, allows every group (partition %s)', (_partition, where) => {
    // Prepare: the statement goes through JSON, as it would through PutKeyPolicy and GetKeyPolicy.
    const policy = policyOf(consoleDefault, buildLogsPolicyStatement(where));
    // Act
    const scope = assessPolicyScope(policy, where);
    const access = evaluateGroupAccess(policy, where, `${logGroupArnPrefix(where)}/aws/lambda/f`);
    // Assess
    expect(scope).toEqual(ALL);
    expect(access).toEqual(ALLOWED);
  });

  it('does not fix a key for another region', () => {
    const policy: KeyPolicy = { statements: [buildLogsPolicyStatement({ ...ctx, region: 'eu-west-1' })] };
    expect(assessPolicyScope(policy, ctx)).toEqual(none('no-allow', 'kms:Encrypt'));
  });
});

describe('parseKeyPolicy', () => {
  it.each<[string, string, string]>([
    ['text that is not JSON', 'not json', 'not valid JSON'],
    ['empty text', '', 'not valid JSON'],
    ['JSON null', 'null', 'not a JSON object'],
    ['a JSON array', '[]', 'not a JSON object'],
    ['a policy without Statement', '{"Version":"2012-10-17"}', 'no Statement'],
    ['a statement that is not an object', '{"Statement":[1]}', 'Statement[0] is not an object'],
    [
      'an unknown Effect',
      '{"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*"}}',
      'Statement[0].Effect',
    ],
    [
      'a numeric Action',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":5}]}',
      'Statement[0].Action',
    ],
    [
      'a Principal that is neither "*" nor an object',
      '{"Statement":[{"Effect":"Allow","Principal":"me","Action":"kms:*"}]}',
      'Statement[0].Principal',
    ],
    [
      'a Condition that is not an object',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":"x"}]}',
      'Statement[0].Condition',
    ],
    [
      'a condition value that is an object',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{"StringEquals":{"k":{}}}}]}',
      'StringEquals.k',
    ],
  ])('fails on %s', (_title, text, message) => {
    // Act
    const parsed = parseKeyPolicy(text);
    // Assess
    expect(parsed).toEqual({ ok: false, message: expect.stringContaining(message) });
  });

  it('accepts a single Statement object, an Action string and Principal "*"', () => {
    const parsed = parseKeyPolicy(
      '{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}',
    );
    expect(parsed).toEqual({
      ok: true,
      policy: { statements: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }] },
    });
  });

  it('normalises Effect spelling and non-string condition values', () => {
    const parsed = parseKeyPolicy(
      JSON.stringify({
        Statement: [
          {
            Sid: 7,
            Effect: 'deny',
            Principal: '*',
            Action: 'kms:*',
            Condition: { Bool: { a: true }, NumericLessThan: { b: [1, 2] } },
          },
        ],
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      policy: {
        statements: [
          {
            Sid: '7',
            Effect: 'Deny',
            Principal: '*',
            Action: 'kms:*',
            Condition: { Bool: { a: 'true' }, NumericLessThan: { b: ['1', '2'] } },
          },
        ],
      },
    });
  });
});
