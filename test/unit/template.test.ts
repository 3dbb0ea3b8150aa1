/**
 * The CloudFormation template `serverless package` produces from serverless.yml.
 *
 * The variants are packaged once each, concurrently, in copies of the working tree
 * (test/support/package-stack.ts):
 *   created   no kmsKeyId: the stack creates the key
 *   keyArn    --param="kmsKeyId=<key ARN>"
 *   aliasName --param="kmsKeyId=alias/..."
 *
 * The key-dependent parts of the template are CloudFormation Conditions over the template
 * parameter KmsKeyId (whose Default is the osls param), so the templates differ only in that
 * Default. `Stack` (test/support/cfn-stack.ts) evaluates a template the way CloudFormation
 * would for given parameter values; that is how the other key forms (key id, alias ARN) and
 * the e-mail subscription are checked without packaging again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { loadConfig } from '../../lib/core/config';
import { assessPolicyScope, buildLogsPolicyStatement, parseKeyPolicy } from '../../lib/core/key-policy';
import {
  FINDINGS_METRIC_NAMES,
  METRICS_NAMESPACE,
  PACE_METRIC_NAMES,
  REALTIME_METRIC_NAMES,
  RUN_METRIC_NAMES,
  SWEEP_METRIC_NAMES,
} from '../../lib/core/run-metrics';
import { cfnLint } from '../support/cfn-lint';
import {
  asList,
  isObject,
  type Json,
  type JsonObject,
  referencedResources,
  Stack,
  type Statement,
  statementsOf,
  TEST_PLACE,
  withoutSid,
} from '../support/cfn-stack';
import { ROOT, usePackagedStacks } from '../support/package-stack';
import { unzip } from '../support/zip';

const { account: ACCOUNT, region: REGION } = TEST_PLACE;

const KEY_UUID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY_UUID}`;
const ALIAS_NAME = 'alias/my-logs-key';
const ANY_KEY_HERE = `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`;
const ANY_ACCOUNTS_KEY_HERE = `arn:aws:kms:${REGION}:*:key/*`;
const ALIAS_CONDITION: JsonObject = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ALIAS_NAME } };
const CREATED_KEY_ARN: Json = { 'Fn::GetAtt': ['RemediatorKey', 'Arn'] };
const TOPIC_KEY_ARN: Json = { 'Fn::GetAtt': ['ReportTopicKey', 'Arn'] };
const QUEUE_ARN: Json = { 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] };
const DLQ_ARN: Json = { 'Fn::GetAtt': ['UndeliveredEventsQueue', 'Arn'] };
/** What every EventBridge target gets: retries for one schedule interval, then the DLQ. */
const TARGET_DELIVERY = {
  RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
  DeadLetterConfig: { Arn: DLQ_ARN },
};

const VARIANTS = {
  created: {},
  keyArn: { params: { kmsKeyId: KEY_ARN } },
  aliasName: { params: { kmsKeyId: ALIAS_NAME } },
};
type Variant = keyof typeof VARIANTS;
const ALL_VARIANTS = Object.keys(VARIANTS) as Variant[];

const packaged = usePackagedStacks(VARIANTS);
const templateOf = (variant: Variant) => packaged[variant].template;
const stackOf = (variant: Variant, overrides?: Record<string, string>) =>
  new Stack(templateOf(variant), overrides);

// ---------------------------------------------------------------------------------------------
// Expectations shared by the variants

const FUNCTION_ID = 'RemediateLambdaFunction';
const ROLE_ID = 'IamRoleLambdaExecution';
const OWN_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/logs-kms-remediator-dev`;

function roleStatements(stack: Stack): Statement[] {
  const policies = asList(stack.resource(ROLE_ID).Properties.Policies);
  return policies.flatMap((policy) => statementsOf(isObject(policy) ? policy.PolicyDocument : undefined));
}

/**
 * osls's own statements for the function's log group (logs:CreateLogStream, CreateLogGroup,
 * TagResource, PutLogEvents). No adapter makes those calls — the Lambda runtime does — so they
 * stay out of the comparison with the adapters' IAM declarations.
 */
const isFrameworkStatement = (statement: Statement) =>
  asList(statement.Resource).every(
    (resource) => typeof resource === 'string' && resource.startsWith(OWN_LOG_GROUP_ARN),
  );

/**
 * osls's statement for the function's on-failure destination: Lambda itself, not the code,
 * sends failed invocations to the queue, so it is no adapter's declaration either.
 */
const isDestinationStatement = (statement: Statement) =>
  asList(statement.Action).every((action) => action === 'sqs:SendMessage');

const ownStatements = (stack: Stack) =>
  roleStatements(stack).filter((s) => !isFrameworkStatement(s) && !isDestinationStatement(s));

/** What the role grants on the target key: a resource, and maybe a condition. */
interface KeyGrant {
  Resource: Json;
  Condition?: JsonObject;
}

function expectedRoleStatements(kms: KeyGrant) {
  return [
    { Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['logs:AssociateKmsKey', 'logs:ListTagsForResource'],
      Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`,
    },
    { Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus'], ...kms },
    // The key audit: read-only, on any account's keys of this region (a group may use another account's key).
    { Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'], Resource: ANY_ACCOUNTS_KEY_HERE },
    { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'ReportTopic' } },
    // Publishing to a topic encrypted with a customer-managed key: on the topic's key only.
    { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: TOPIC_KEY_ARN },
  ];
}

function expectedEnvironment(kmsKeyId: Json): JsonObject {
  return {
    KMS_KEY_ID: kmsKeyId,
    REPORT_TOPIC_ARN: { Ref: 'ReportTopic' },
    DRY_RUN: 'false',
    INCLUDE_PATTERNS: '',
    EXCLUDE_PATTERNS: '',
    EXCLUDE_TAG: '',
    REPORT_WHEN: 'findings',
    MAX_ATTEMPTS: '8',
    ASSOCIATE_CONCURRENCY: '4',
    DESCRIBE_LOG_GROUPS_TPS: '5',
    ASSOCIATE_TPS: '5',
    ASSOCIATE_TPS_MAX: '50',
    KEY_CACHE_SECONDS: '300',
    KEY_AUDIT: 'on',
    OTHER_KEYS: 'allow',
    UNHEALTHY_KEYS: 'report',
    SECURITY_HUB: 'off',
    FINDINGS_TOPIC_ARN: '',
    POWERTOOLS_SERVICE_NAME: 'logs-kms-remediator',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

const environmentOf = (stack: Stack): JsonObject => {
  const environment = stack.resource(FUNCTION_ID).Properties.Environment;
  return isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
};

/** The lib/aws adapters a handler imports, by file name (clients.ts, kms.ts...). */
function adaptersOf(handler: string): string[] {
  const source = readFileSync(join(ROOT, 'handlers', handler), 'utf8');
  return [...source.matchAll(/from '\.\.\/lib\/aws\/([a-z-]+)'/g)].map((m) => `${m[1]}.ts`);
}

/** The actions the adapters a handler imports declare, sorted, without repeats. */
function actionsOf(handler: string): string[] {
  const declared = adapterActions();
  return [...new Set(adaptersOf(handler).flatMap((file) => declared.get(file) ?? []))].sort();
}

const FINDINGS_FUNCTION_ID = 'ImportFindingsLambdaFunction';
const FINDINGS_ROLE_ID = 'FindingsFunctionRole';

/** The findings role's statements, but for its own log group's (the Lambda runtime's calls). */
function findingsRoleStatements(stack: Stack): Statement[] {
  return asList(stack.resource(FINDINGS_ROLE_ID).Properties.Policies)
    .flatMap((policy) => statementsOf(isObject(policy) ? policy.PolicyDocument : undefined))
    .filter((s) => s.Sid !== 'OwnLogGroup');
}

/** The remediator's statements from the IAM policies attached to its role (PublishFindingsPolicy). */
function attachedStatements(stack: Stack): Statement[] {
  return Object.values(stack.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(ROLE_ID))
    .flatMap((r) => statementsOf(r.Properties.PolicyDocument));
}

/**
 * The actions named by ` * IAM: service:Action` lines in the top comment of each lib/aws/*.ts: the
 * function's calls. ` * CLI IAM: service:Action` lines name the calls of adapters only the operator's
 * CLI uses, on the operator's credentials (kms:PutKeyPolicy): the function's role must grant none.
 */
function adapterActions(marker: 'IAM' | 'CLI IAM' = 'IAM'): Map<string, string[]> {
  const dir = join(ROOT, 'lib', 'aws');
  const line = new RegExp(`^\\s*\\*\\s*${marker}:\\s*([a-z0-9-]+:[A-Za-z]+)`, 'gm');
  const declared = new Map<string, string[]>();
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .sort()) {
    const header = /^\s*\/\*\*[\s\S]*?\*\//.exec(readFileSync(join(dir, file), 'utf8'))?.[0] ?? '';
    const actions = [...header.matchAll(line)].map((match) => match[1] ?? '');
    if (actions.length > 0) declared.set(file, actions);
  }
  return declared;
}

/** File names and contents of a zip archive (stored or deflated entries). */

// ---------------------------------------------------------------------------------------------

describe('serverless package: the function', () => {
  it('runs handlers/remediate.handler on nodejs22.x, arm64, 256 MB, 300 s, one at a time', () => {
    const fn = stackOf('created').resource(FUNCTION_ID);
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties).toMatchObject({
      Handler: 'handlers/remediate.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('is started by an EventBridge schedule, rate(1 hour), through the sweep state machine by default', () => {
    const stack = stackOf('created');
    const rules = Object.values(stack.resources).filter((r) => r.Properties.ScheduleExpression !== undefined);
    expect(rules.map((r) => r.Properties)).toEqual([
      {
        Description: 'Starts a sweep of every log group',
        ScheduleExpression: 'rate(1 hour)',
        Targets: [
          {
            Id: 'SweepStateMachine',
            Arn: { Ref: 'SweepStateMachine' },
            RoleArn: { 'Fn::GetAtt': ['SweepScheduleRole', 'Arn'] },
            ...TARGET_DELIVERY,
          },
        ],
      },
    ]);
    // The function's only invoke permission is the real-time rule's.
    const permissions = Object.values(stack.resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    expect(permissions.map((p) => p.Properties.SourceArn)).toEqual([
      { 'Fn::GetAtt': ['RealtimeRule', 'Arn'] },
    ]);
  });

  it('is invoked by the schedule directly with scheduleTarget=lambda, and has no state machine', () => {
    const stack = stackOf('created', { ScheduleTarget: 'lambda' });
    const rules = Object.values(stack.resources).filter((r) => r.Properties.ScheduleExpression !== undefined);
    expect(rules.map((r) => r.Properties.Targets)).toEqual([
      [{ Id: 'Remediate', Arn: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] }, ...TARGET_DELIVERY }],
    ]);
    expect(stack.resource('DirectSchedulePermission').Properties).toMatchObject({
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['DirectSchedule', 'Arn'] },
    });
    const types = Object.values(stack.resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::StepFunctions::StateMachine');
    expect(Object.keys(stack.resources).filter((id) => id.startsWith('Sweep'))).toEqual([]);
  });

  it('ships one bundled file, the AWS SDK and every other dependency inside it', () => {
    const code = stackOf('created').resource(FUNCTION_ID).Properties.Code;
    expect(isObject(code) && String(code.S3Key).endsWith('/remediate.zip')).toBe(true);
    const files = unzip(packaged.created.zip);
    expect([...files.keys()]).toEqual(['handlers/remediate.js']);
    const bundle = files.get('handlers/remediate.js')?.toString('utf8') ?? '';
    expect(bundle.length).toBeGreaterThan(10_000);
    // Every require() left is of a Node.js built-in ('[require(...)]' is a hint in an SDK message).
    const required = [...bundle.matchAll(/(?<!\[)\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))).toEqual(
      [],
    );
    expect(bundle).not.toMatch(/\/\/# sourceMappingURL=/);
  });

  it('keeps the findings function’s zip at most 250 KiB too, with the judges out, and the Security Hub client out of the remediator’s', () => {
    const findings = unzip(packaged.created.findingsZip);
    expect([...findings.keys()]).toEqual(['handlers/import-findings.js']);
    expect(packaged.created.findingsZip.length).toBeLessThanOrEqual(250 * 1024);
    console.log(`findings zip: ${(packaged.created.findingsZip.length / 1024).toFixed(1)} KiB of 250`);
    const findingsBundle = findings.get('handlers/import-findings.js')?.toString('utf8') ?? '';
    expect(findingsBundle).toContain('SecurityHubClient');
    const bundle = unzip(packaged.created.zip).get('handlers/remediate.js')?.toString('utf8') ?? '';
    for (const code of ['SecurityHubClient', 'BatchImportFindings', 'GetFindings'])
      expect(bundle).not.toContain(code);
    for (const judge of ['asl-validator', 'iam-simulate', 'fast-check', 'aws-sdk-client-mock']) {
      expect(findingsBundle).not.toContain(judge);
    }
  });

  it('keeps the zip at most 250 KB (KiB, as BENCHMARKS.md counts), with the test-only judges out of it', () => {
    expect(packaged.created.zip.length).toBeLessThanOrEqual(250 * 1024);
    console.log(`zip: ${(packaged.created.zip.length / 1024).toFixed(1)} KiB of 250`);
    const bundle = unzip(packaged.created.zip).get('handlers/remediate.js')?.toString('utf8') ?? '';
    // Each judge's own error strings: none may be bundled.
    for (const judge of ['asl-validator', 'iam-simulate', 'fast-check', 'aws-sdk-client-mock']) {
      expect(bundle).not.toContain(judge);
    }
  });

  it('takes its credentials from the environment only, as Lambda gives them; the rest of the chain stays out', () => {
    const bundle = unzip(packaged.created.zip).get('handlers/remediate.js')?.toString('utf8') ?? '';
    // The SDK's environment provider names its variables; the SSO, web-identity and IMDS links their own.
    expect(bundle).toContain('AWS_SECRET_ACCESS_KEY');
    // (IMDS stays: the SDK's defaults mode may ask it for the region, which Lambda always sets.)
    for (const link of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'sso_start_url', 'credential_process']) {
      expect(bundle).not.toContain(link);
    }
  });

  it.each<[Variant, Json]>([
    ['created', CREATED_KEY_ARN],
    ['keyArn', KEY_ARN],
    ['aliasName', ALIAS_NAME],
  ])('has the configured environment (%s)', (variant, kmsKeyId) => {
    expect(environmentOf(stackOf(variant))).toEqual(expectedEnvironment(kmsKeyId));
  });

  it('has an environment lib/config accepts', () => {
    for (const variant of ['keyArn', 'aliasName'] as const) {
      const env = Object.fromEntries(
        Object.entries(environmentOf(stackOf(variant))).map(([name, value]) => [name, String(value)]),
      );
      env.REPORT_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:logs-kms-remediator-dev-reports`;
      expect(() => loadConfig({ ...env, AWS_REGION: REGION })).not.toThrow();
    }
  });
});

describe('serverless package: the function role', () => {
  it.each<[Variant, KeyGrant]>([
    ['created', { Resource: CREATED_KEY_ARN }],
    ['keyArn', { Resource: KEY_ARN }],
    ['aliasName', { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION }],
  ])('grants exactly the remediator its calls (%s)', (variant, kms) => {
    expect(ownStatements(stackOf(variant)).map(withoutSid)).toEqual(expectedRoleStatements(kms));
  });

  it.each<[string, string, KeyGrant]>([
    ['a key ARN', KEY_ARN, { Resource: KEY_ARN }],
    ['a key id', KEY_UUID, { Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_UUID}` }],
    [
      'a multi-Region key id',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      { Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab` },
    ],
    ['an alias name', ALIAS_NAME, { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION }],
    [
      'an alias ARN',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/my-logs-key`,
      { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION },
    ],
  ])('checks the target key, and only it, for rotation when kmsKeyId is %s', (_form, kmsKeyId, kms) => {
    const stack = stackOf('created', { KmsKeyId: kmsKeyId });
    expect(ownStatements(stack).map(withoutSid)).toEqual(expectedRoleStatements(kms));
    expect(environmentOf(stack).KMS_KEY_ID).toBe(kmsKeyId);
    expect(stack.resources.RemediatorKey).toBeUndefined();
  });

  it('lets the key audit describe, and read the policy of, any account’s keys of this region, and nothing more', () => {
    for (const variant of ALL_VARIANTS) {
      const kms = ownStatements(stackOf(variant)).filter((s) =>
        asList(s.Resource).some((r) => typeof r === 'string' && r.includes(':*:key/')),
      );
      expect(kms.map((s) => ({ Action: s.Action, Resource: s.Resource, Condition: s.Condition }))).toEqual([
        {
          Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'],
          Resource: ANY_ACCOUNTS_KEY_HERE,
          Condition: undefined,
        },
      ]);
    }
    // Unresolved, the region is the stack's own, never a literal or a wildcard.
    const raw = JSON.stringify(templateOf('created').Resources[ROLE_ID]);
    expect(raw).toContain(`arn:\${AWS::Partition}:kms:\${AWS::Region}:*:key/*`);
  });

  it('keeps the framework statements to the function’s own log group', () => {
    const framework = roleStatements(stackOf('created')).filter(isFrameworkStatement);
    expect(framework.length).toBeGreaterThan(0);
    for (const statement of framework) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) {
        expect([
          'logs:CreateLogStream',
          'logs:CreateLogGroup',
          'logs:TagResource',
          'logs:PutLogEvents',
        ]).toContain(action);
      }
    }
  });

  it('lets Lambda send failed invocations to the destination queue, and nowhere else', () => {
    for (const variant of ALL_VARIANTS) {
      expect(roleStatements(stackOf(variant)).filter(isDestinationStatement)).toEqual([
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE_ARN },
      ]);
    }
  });

  it('grants each function exactly the actions the lib/aws adapters it imports declare in their IAM: lines', () => {
    expect(adapterActions().size).toBeGreaterThan(0);
    expect(adaptersOf('remediate.ts')).not.toContain('security-hub.ts');
    expect(adaptersOf('import-findings.ts')).toContain('security-hub.ts');
    const actions = (statements: Statement[]) =>
      [...new Set(statements.flatMap((s) => asList(s.Action)))].sort();
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      for (const securityHub of ['off', 'on']) {
        const stack = stackOf(variant, { SecurityHub: securityHub });
        expect(actions([...ownStatements(stack), ...attachedStatements(stack)])).toEqual(
          actionsOf('remediate.ts'),
        );
        expect(actions(findingsRoleStatements(stack))).toEqual(actionsOf('import-findings.ts'));
      }
    }
  });

  it('lets the remediator publish to FindingsTopic only when securityHub is on', () => {
    expect(attachedStatements(stackOf('created'))).toEqual([]);
    expect(attachedStatements(stackOf('created', { SecurityHub: 'on' })).map(withoutSid)).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'FindingsTopic' } },
    ]);
  });

  it('scopes the findings role to the account’s default product and hub, the report topic and its key', () => {
    expect(findingsRoleStatements(stackOf('created')).map(withoutSid)).toEqual([
      {
        Effect: 'Allow',
        Action: 'securityhub:BatchImportFindings',
        Resource: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
      },
      {
        Effect: 'Allow',
        Action: ['securityhub:GetFindings', 'securityhub:BatchUpdateFindings'],
        Resource: `arn:aws:securityhub:${REGION}:${ACCOUNT}:hub/default`,
      },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'ReportTopic' } },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: TOPIC_KEY_ARN },
    ]);
    const own = statementsOf(
      (asList(stackOf('created').resource(FINDINGS_ROLE_ID).Properties.Policies)[0] as JsonObject)
        .PolicyDocument,
    ).find((s) => s.Sid === 'OwnLogGroup');
    expect(own?.Resource).toBe(
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/logs-kms-remediator-dev-importFindings:*`,
    );
    expect(stackOf('created').resource(FINDINGS_FUNCTION_ID).Properties.Role).toBeDefined();
  });

  it('grants none of the actions only the operator CLI’s adapters declare (CLI IAM: lines)', () => {
    const cliOnly = [...new Set([...adapterActions('CLI IAM').values()].flat())];
    expect(cliOnly).toEqual(['kms:PutKeyPolicy']);
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const granted = roleStatements(stackOf(variant)).flatMap((s) => asList(s.Action));
      expect(granted.filter((action) => cliOnly.includes(String(action)))).toEqual([]);
    }
  });

  it('has no wildcard action in any IAM policy, and no NotAction', () => {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const stack = stackOf(variant);
      for (const [id, resource] of Object.entries(stack.resources)) {
        if (!resource.Type.startsWith('AWS::IAM::')) continue;
        const { Properties: p } = resource;
        const documents = [
          p.AssumeRolePolicyDocument,
          p.PolicyDocument,
          ...asList(p.Policies).map((x) => (isObject(x) ? x.PolicyDocument : null)),
        ];
        for (const statement of documents.flatMap((d) => statementsOf(d ?? undefined))) {
          expect(statement.NotAction).toBeUndefined();
          for (const action of asList(statement.Action))
            expect({ id, action }).toEqual({ id, action: expect.not.stringContaining('*') });
        }
      }
    }
  });

  it('allows no wildcard action in the other resource policies', () => {
    const stack = stackOf('created');
    for (const [id, resource] of Object.entries(stack.resources)) {
      const document = resource.Properties.PolicyDocument ?? resource.Properties.KeyPolicy;
      // The key policies (root kms:*, the CloudWatch Logs kms:Encrypt* etc., CloudWatch's
      // kms:GenerateDataKey*) are the documented ones, checked statement by statement below.
      const keyPolicy = id === 'RemediatorKey' || id === 'ReportTopicKey';
      if (resource.Type.startsWith('AWS::IAM::') || keyPolicy || document === undefined) continue;
      for (const statement of statementsOf(document)) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of asList(statement.Action))
          expect({ id, action }).toEqual({ id, action: expect.not.stringContaining('*') });
      }
    }
  });

  it('refers to no resource the stack does not create', () => {
    const cases: [Variant, Record<string, string>][] = [
      ['created', {}],
      ['keyArn', {}],
      ['aliasName', {}],
      ['created', { KmsKeyId: KEY_UUID }],
      ['created', { KmsKeyId: ALIAS_NAME }],
      ['created', { ReportEmail: 'ops@example.com' }],
      ['created', { ScheduleTarget: 'lambda' }],
      ['created', { Realtime: 'false' }],
      ['created', { ScheduleTarget: 'lambda', Realtime: 'false' }],
      ['created', { KeyEvents: 'false' }],
      ['created', { ScheduleTarget: 'lambda', KeyEvents: 'false' }],
    ];
    for (const [variant, overrides] of cases) {
      const stack = stackOf(variant, overrides);
      const created = new Set(Object.keys(stack.resources));
      const referenced = referencedResources([
        ...Object.values(stack.resources).map((r) => r.Properties),
        ...Object.values(stack.outputs),
      ]);
      for (const id of referenced)
        expect({ variant, overrides, id, created: created.has(id) }).toMatchObject({ created: true });
    }
  });
});

describe('serverless package: the key', () => {
  it('is created, with its alias, only when kmsKeyId is empty', () => {
    expect(Object.keys(stackOf('created').resources)).toEqual(
      expect.arrayContaining(['RemediatorKey', 'RemediatorKeyAlias']),
    );
    for (const variant of ['keyArn', 'aliasName'] as const) {
      // The only key then is the report topic's own, with its alias.
      const keys = Object.entries(stackOf(variant).resources).filter(([, r]) =>
        r.Type.startsWith('AWS::KMS::'),
      );
      expect(keys.map(([id]) => id)).toEqual(['ReportTopicKey', 'ReportTopicKeyAlias']);
    }
  });

  it('is a rotating symmetric encryption key, retained on delete and on replacement', () => {
    const key = stackOf('created').resource('RemediatorKey');
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EnableKeyRotation: true,
    });
  });

  it('lets IAM manage it and CloudWatch Logs use it for this account’s log groups', () => {
    const key = stackOf('created').resource('RemediatorKey');
    expect(statementsOf(key.Properties.KeyPolicy)).toEqual([
      {
        Sid: 'EnableIamPolicies',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      // The very statement the report recommends as policyFix: one definition of what Logs needs.
      buildLogsPolicyStatement({ partition: 'aws', region: REGION, account: ACCOUNT }),
    ]);
  });

  it('is judged usable for every log group of the account by the project’s own key-policy evaluator', () => {
    const key = stackOf('created').resource('RemediatorKey');
    const parsed = parseKeyPolicy(JSON.stringify({ Statement: statementsOf(key.Properties.KeyPolicy) }));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(assessPolicyScope(parsed.policy, { partition: 'aws', region: REGION, account: ACCOUNT })).toEqual({
      scope: 'all-groups',
    });
  });

  it('is aliased alias/logs-kms-remediator', () => {
    expect(stackOf('created').resource('RemediatorKeyAlias').Properties).toEqual({
      AliasName: 'alias/logs-kms-remediator',
      TargetKeyId: { Ref: 'RemediatorKey' },
    });
  });

  it('takes kmsKeyId into the KmsKeyId parameter, whose pattern rejects what cannot work', () => {
    const parameter = (variant: Variant) => templateOf(variant).Parameters.KmsKeyId;
    expect(parameter('created')?.Default).toBe('');
    expect(parameter('keyArn')?.Default).toBe(KEY_ARN);
    expect(parameter('aliasName')?.Default).toBe(ALIAS_NAME);
    const pattern = new RegExp(`^(?:${parameter('created')?.AllowedPattern ?? ''})$`);
    const accepted = [
      '',
      KEY_ARN,
      KEY_UUID,
      ALIAS_NAME,
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/x`,
      `mrk-${'a'.repeat(32)}`,
    ];
    for (const value of accepted) expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: true });
    const rejected = [
      'alias/aws/sns',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/logs`,
      'my-key',
      'arn:aws:sns:x',
    ];
    for (const value of rejected) expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: false });
  });
});

describe('serverless package: the report topic', () => {
  it.each(ALL_VARIANTS)('is encrypted with its own key, ReportTopicKey (%s)', (variant) => {
    const topic = stackOf(variant).resource('ReportTopic');
    expect(topic.Type).toBe('AWS::SNS::Topic');
    expect(topic.Properties).toMatchObject({
      TopicName: 'logs-kms-remediator-dev-reports',
      KmsMasterKeyId: TOPIC_KEY_ARN,
    });
  });

  it('lets only this account publish and subscribe, and CloudWatch alarms of this account publish', () => {
    for (const variant of ALL_VARIANTS) {
      const policy = stackOf(variant).resource('ReportTopicPolicy');
      expect(policy.Properties.Topics).toEqual([{ Ref: 'ReportTopic' }]);
      expect(statementsOf(policy.Properties.PolicyDocument).map(withoutSid)).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: ['sns:Publish', 'sns:Subscribe'],
          Resource: { Ref: 'ReportTopic' },
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: 'ReportTopic' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ]);
    }
  });

  it('gets an e-mail subscription only when reportEmail is set', () => {
    expect(stackOf('created').resources.ReportEmailSubscription).toBeUndefined();
    const stack = stackOf('created', { ReportEmail: 'ops@example.com' });
    expect(stack.resource('ReportEmailSubscription').Properties).toEqual({
      TopicArn: { Ref: 'ReportTopic' },
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('serverless package: the report topic’s key', () => {
  it.each(ALL_VARIANTS)(
    'is a rotating symmetric key created in every variant, not retained (%s)',
    (variant) => {
      const key = stackOf(variant).resource('ReportTopicKey');
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Condition).toBeUndefined();
      // It only protects notifications SNS holds for delivery: nothing to keep once the topic goes.
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.UpdateReplacePolicy).toBe('Delete');
      expect(key.Properties).toMatchObject({
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EnableKeyRotation: true,
      });
    },
  );

  it('lets IAM manage it and CloudWatch alarms of this account use it, and nothing else', () => {
    for (const variant of ALL_VARIANTS) {
      const key = stackOf(variant).resource('ReportTopicKey');
      expect(statementsOf(key.Properties.KeyPolicy).map(withoutSid)).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ]);
    }
  });

  it('is aliased alias/logs-kms-remediator-<stage>-reports', () => {
    expect(stackOf('keyArn').resource('ReportTopicKeyAlias').Properties).toEqual({
      AliasName: 'alias/logs-kms-remediator-dev-reports',
      TargetKeyId: { Ref: 'ReportTopicKey' },
    });
  });
});

describe('serverless package: the on-failure destination', () => {
  it('is an SQS queue encrypted at rest that keeps records 14 days', () => {
    const queue = stackOf('created').resource('FailedInvocationsQueue');
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties).toEqual({
      QueueName: 'logs-kms-remediator-dev-failed-invocations',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('refuses any request made without TLS, and grants nothing', () => {
    const policy = stackOf('created').resource('FailedInvocationsQueuePolicy');
    expect(policy.Properties.Queues).toEqual([{ Ref: 'FailedInvocationsQueue' }]);
    expect(statementsOf(policy.Properties.PolicyDocument).map(withoutSid)).toEqual([
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: QUEUE_ARN,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it.each(ALL_VARIANTS)(
    'receives the function’s failed asynchronous invocations, after 2 retries (%s)',
    (variant) => {
      const stack = stackOf(variant);
      const configs = Object.values(stack.resources).filter(
        (r) => r.Type === 'AWS::Lambda::EventInvokeConfig',
      );
      expect(configs.map((c) => c.Properties)).toEqual([
        {
          FunctionName: { Ref: FUNCTION_ID },
          Qualifier: '$LATEST',
          DestinationConfig: { OnFailure: { Destination: QUEUE_ARN } },
          MaximumRetryAttempts: 2,
        },
      ]);
    },
  );
});

describe('serverless package: events EventBridge could not deliver', () => {
  const RULE_CASES: [string, Record<string, string>, string[]][] = [
    ['default', {}, ['SweepSchedule', 'RealtimeRule', 'KeyEventsRule']],
    [
      'scheduleTarget=lambda',
      { ScheduleTarget: 'lambda' },
      ['DirectSchedule', 'RealtimeRule', 'KeyEventsRule'],
    ],
    ['keyEvents=false', { KeyEvents: 'false' }, ['SweepSchedule', 'RealtimeRule']],
    ['realtime=false', { Realtime: 'false' }, ['SweepSchedule']],
    ['both', { ScheduleTarget: 'lambda', Realtime: 'false' }, ['DirectSchedule']],
  ];

  it.each(RULE_CASES)(
    'gives every target of every rule a retry policy and the dead-letter queue (%s)',
    (_case, overrides, ruleIds) => {
      const stack = stackOf('created', overrides);
      const rules = Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
      expect(rules.map(([id]) => id).sort()).toEqual([...ruleIds].sort());
      for (const [, rule] of rules) {
        const targets = asList(rule.Properties.Targets) as JsonObject[];
        expect(targets).toHaveLength(1);
        for (const target of targets) expect(target).toMatchObject(TARGET_DELIVERY);
      }
    },
  );

  it('retries within the bounds EventBridge accepts, for one schedule interval', () => {
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = TARGET_DELIVERY.RetryPolicy;
    // EventBridge API reference, RetryPolicy: 0..185 attempts, 60..86400 seconds.
    expect(MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(MaximumRetryAttempts).toBeLessThanOrEqual(185);
    expect(MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(MaximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
    expect(stackOf('created').resource('SweepSchedule').Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(MaximumEventAgeInSeconds).toBe(60 * 60);
  });

  it('is a standard SQS queue (EventBridge takes no FIFO queue as a DLQ), encrypted at rest, 14 days', () => {
    const queue = stackOf('created').resource('UndeliveredEventsQueue');
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties).toEqual({
      QueueName: 'logs-kms-remediator-dev-undelivered-events',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it.each(RULE_CASES)(
    'takes messages from EventBridge on behalf of exactly the stack’s rules, and only over TLS (%s)',
    (_case, overrides, ruleIds) => {
      const policy = stackOf('created', overrides).resource('UndeliveredEventsQueuePolicy');
      expect(policy.Properties.Queues).toEqual([{ Ref: 'UndeliveredEventsQueue' }]);
      const [allow, deny, ...rest] = statementsOf(policy.Properties.PolicyDocument).map(withoutSid);
      expect(rest).toEqual([]);
      const sources = allow?.Condition?.ArnEquals;
      expect({ ...allow, Condition: undefined }).toEqual({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: DLQ_ARN,
        Condition: undefined,
      });
      expect(isObject(sources) ? asList(sources['aws:SourceArn']) : []).toEqual(
        ['SweepSchedule', 'DirectSchedule', 'RealtimeRule', 'KeyEventsRule']
          .filter((id) => ruleIds.includes(id))
          .map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      );
      expect(deny).toEqual({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: DLQ_ARN,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    },
  );

  it('alarms on the report topic as soon as the queue holds an event', () => {
    expect(stackOf('created').resource('UndeliveredEventsAlarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['UndeliveredEventsQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: 'ReportTopic' }],
    });
  });
});

describe('serverless package: the function’s own log group', () => {
  const logGroup = (stack: Stack) => stack.resource('RemediateLogGroup');

  it.each<[string, Variant, Record<string, string>, Json | undefined]>([
    ['created', 'created', {}, CREATED_KEY_ARN],
    ['a key ARN', 'keyArn', {}, KEY_ARN],
    ['a key id', 'created', { KmsKeyId: KEY_UUID }, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_UUID}`],
    // CloudFormation cannot turn an alias into a key ARN: the first run encrypts the group.
    ['an alias name', 'aliasName', {}, undefined],
    [
      'an alias ARN',
      'created',
      { KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/my-logs-key` },
      undefined,
    ],
  ])(
    'is encrypted with the target key, kept 90 days (kmsKeyId: %s)',
    (_form, variant, overrides, kmsKeyId) => {
      const group = logGroup(stackOf(variant, overrides));
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties).toEqual({
        LogGroupName: '/aws/lambda/logs-kms-remediator-dev-remediate',
        RetentionInDays: 90,
        ...(kmsKeyId === undefined ? {} : { KmsKeyId: kmsKeyId }),
      });
    },
  );

  it('waits for the created key, and the function waits for the group', () => {
    const stack = stackOf('created');
    // The key's ARN (Fn::GetAtt) is what orders the group after the key; a DependsOn on the
    // key would break the other variants, where the key is not created.
    expect(referencedResources(logGroup(stack).Properties.KmsKeyId ?? null)).toEqual(
      new Set(['RemediatorKey']),
    );
    expect(logGroup(stack).DependsOn).toBeUndefined();
    expect(asList(stack.resource(FUNCTION_ID).DependsOn)).toContain('RemediateLogGroup');
  });

  it('is usable by CloudWatch Logs under the created key’s policy', () => {
    const key = stackOf('created').resource('RemediatorKey');
    const parsed = parseKeyPolicy(JSON.stringify({ Statement: statementsOf(key.Properties.KeyPolicy) }));
    if (!parsed.ok) throw new Error(parsed.message);
    const place = { partition: 'aws', region: REGION, account: ACCOUNT };
    expect(assessPolicyScope(parsed.policy, place)).toEqual({ scope: 'all-groups' });
  });
});

// ---------------------------------------------------------------------------------------------
// Metrics, alarms, dashboard

const METRIC_DIMENSIONS = [{ Name: 'service', Value: 'logs-kms-remediator' }];
const FINDINGS_EXPRESSION = 'IF(FILL(failed, 0) > 0 OR FILL(keyUsable, 1) < 1, 1, 0)';

/**
 * Evaluates the findings alarm's metric math for one period, CloudWatch's way: FILL(x, d) is
 * d when x has no data point; IF, OR and the comparisons as in CloudWatch metric math.
 */
function evaluateFindings(expression: string, failed: number | null, keyUsable: number | null): number {
  const js = expression
    .replace(/FILL\((\w+), (\d+)\)/g, '($1 ?? $2)')
    .replace(/\bOR\b/g, '||')
    .replace(/^IF\((.*), (\d+), (\d+)\)$/, '(($1) ? $2 : $3)');
  expect(js).toMatch(/^[\w\s()?:|<>=.]+$/); // nothing but the expression's own parts
  return new Function('failed', 'keyUsable', `return ${js};`)(failed, keyUsable);
}

interface DashboardWidget {
  type: string;
  properties: {
    title: string;
    region?: string;
    period?: number;
    metrics?: (string | JsonObject)[][];
    alarms?: string[];
  };
}

/** The dashboard body as deployed, resource references shown as <Id> / <Id.Attribute>. */
function dashboardBody(stack: Stack): { widgets: DashboardWidget[] } {
  const body = stack.resource('Dashboard').Properties.DashboardBody;
  const text = isObject(body) ? String(body['Fn::Sub']) : String(body);
  return JSON.parse(text.replace(/\$\{([^}]+)\}/g, '<$1>'));
}

const metricRows = (widget: DashboardWidget) => widget.properties.metrics ?? [];

describe('serverless package: metrics, alarms and dashboard', () => {
  it('tells the function its metrics namespace', () => {
    expect(environmentOf(stackOf('created')).POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(METRICS_NAMESPACE).toBe('LogsKmsRemediator');
  });

  it('alarms when a run failed a group or found the key unusable', () => {
    const alarm = stackOf('created').resource('FindingsAlarm');
    expect(alarm.Type).toBe('AWS::CloudWatch::Alarm');
    const metric = (MetricName: string, Stat: string) => ({
      MetricStat: {
        Metric: { Namespace: METRICS_NAMESPACE, MetricName, Dimensions: METRIC_DIMENSIONS },
        Period: 3600,
        Stat,
      },
      ReturnData: false,
    });
    expect(alarm.Properties).toEqual({
      AlarmName: 'logs-kms-remediator-dev-findings',
      AlarmDescription: expect.stringContaining('KeyUsable'),
      Metrics: [
        { Id: 'failed', ...metric('Failed', 'Maximum') },
        { Id: 'keyUsable', ...metric('KeyUsable', 'Minimum') },
        { Id: 'findings', Label: expect.any(String), Expression: FINDINGS_EXPRESSION, ReturnData: true },
      ],
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'ReportTopic' }],
      OKActions: [{ Ref: 'ReportTopic' }],
    });
    for (const name of ['Failed', 'KeyUsable']) expect(RUN_METRIC_NAMES).toContain(name);
  });

  it.each<[number | null, number | null, number]>([
    [0, 1, 0], // a clean run
    [3, 1, 1], // groups failed
    [0, 0, 1], // the key is unusable
    [2, 0, 1],
    [null, 1, 0], // only one of the two in the period
    [1, null, 1],
    [null, 0, 1],
  ])('computes findings = %p failed, %p keyUsable -> %p', (failed, keyUsable, expected) => {
    expect(evaluateFindings(FINDINGS_EXPRESSION, failed, keyUsable)).toBe(expected);
  });

  it('alarms when a run finds a key in use at risk, and says when that clears', () => {
    const alarm = stackOf('created').resource('AtRiskKeysAlarm');
    expect(alarm.Type).toBe('AWS::CloudWatch::Alarm');
    expect(alarm.Properties).toEqual({
      AlarmName: 'logs-kms-remediator-dev-at-risk-keys',
      AlarmDescription: expect.stringContaining('AtRiskKeys > 0'),
      Namespace: METRICS_NAMESPACE,
      MetricName: 'AtRiskKeys',
      Dimensions: METRIC_DIMENSIONS,
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // A period with no finished run says nothing about the keys.
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'ReportTopic' }],
      OKActions: [{ Ref: 'ReportTopic' }],
    });
    expect(RUN_METRIC_NAMES).toContain('AtRiskKeys');
  });

  it('alarms, with Security Hub on, when Security Hub refuses findings', () => {
    expect(stackOf('created').resources.FindingsFailedAlarm).toBeUndefined();
    const alarm = stackOf('created', { SecurityHub: 'on' }).resource('FindingsFailedAlarm');
    expect(alarm.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'FindingsFailed',
      Dimensions: METRIC_DIMENSIONS,
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'ReportTopic' }],
    });
    expect(FINDINGS_METRIC_NAMES).toContain('FindingsFailed');
  });

  it('graphs the at-risk keys and the groups on them together, per run', () => {
    const { widgets } = dashboardBody(stackOf('created'));
    const widget = widgets.find((w) => metricRows(w).some((row) => row[1] === 'AtRiskKeys'));
    expect(widget?.properties.metrics?.map((row) => row[1])).toEqual(['AtRiskKeys', 'AtRiskGroups']);
    expect(widget?.properties).toMatchObject({ period: 3600, region: REGION });
    expect(RUN_METRIC_NAMES).toEqual(expect.arrayContaining(['AtRiskKeys', 'AtRiskGroups']));
  });

  it('alarms when the function fails', () => {
    const alarm = stackOf('created').resource('ErrorsAlarm');
    expect(alarm.Properties).toEqual({
      AlarmName: 'logs-kms-remediator-dev-errors',
      AlarmDescription: expect.any(String),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: FUNCTION_ID } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'ReportTopic' }],
      OKActions: [{ Ref: 'ReportTopic' }],
    });
  });

  it('names the dashboard after the stage and the region: dashboards are global to an account', () => {
    const raw = templateOf('created').Resources.Dashboard;
    expect(raw?.Properties.DashboardName).toEqual({ 'Fn::Sub': `logs-kms-remediator-dev-\${AWS::Region}` });
    expect(stackOf('created').resource('Dashboard').Properties.DashboardName).toBe(
      `logs-kms-remediator-dev-${REGION}`,
    );
  });

  it('puts the region of the stack, and no literal region or account, in the dashboard', () => {
    const body = templateOf('created').Resources.Dashboard?.Properties.DashboardBody;
    const text = isObject(body) ? String(body['Fn::Sub']) : '';
    expect(text).toContain(`"region": "\${AWS::Region}"`);
    expect(text).not.toMatch(/\b\d{12}\b/);
    expect(text).not.toMatch(/\b[a-z]{2}(-[a-z]+)+-\d\b/);
    for (const widget of dashboardBody(stackOf('created')).widgets) {
      if (widget.type === 'metric') expect(widget.properties.region).toBe(REGION);
    }
  });

  it('graphs every metric the function emits, by its exact name, and nothing else of the namespace', () => {
    const { widgets } = dashboardBody(stackOf('created'));
    const rows = widgets.flatMap(metricRows).filter((row) => row[0] === METRICS_NAMESPACE);
    for (const row of rows) expect(row.slice(2, 4)).toEqual(['service', 'logs-kms-remediator']);
    const names = rows.map((row) => row[1]);
    expect(new Set(names)).toEqual(
      new Set([...RUN_METRIC_NAMES, ...REALTIME_METRIC_NAMES, ...SWEEP_METRIC_NAMES, ...PACE_METRIC_NAMES]),
    );
    // Each once, but the creation-to-encryption latency twice: its p50 and its p95.
    expect(names.filter((n) => n !== 'RealtimeLatency')).toHaveLength(new Set(names).size - 1);
    const latency = rows
      .filter((row) => row[1] === 'RealtimeLatency')
      .map((row) => (row[4] as { stat?: string }).stat);
    expect(latency).toEqual(['p50', 'p95']);
  });

  it('shows found vs remediated together, per run: the picture that trends to zero', () => {
    const { widgets } = dashboardBody(stackOf('created'));
    const first = widgets[0];
    expect(first?.properties.metrics?.map((row) => row[1])).toEqual(
      expect.arrayContaining(['UnencryptedFound', 'Remediated']),
    );
    expect(first?.properties.period).toBe(3600);
  });

  it('shows the function’s errors and throttles, and the three alarms', () => {
    const { widgets } = dashboardBody(stackOf('created'));
    const lambdaRows = widgets.flatMap(metricRows).filter((row) => row[0] === 'AWS/Lambda');
    expect(lambdaRows.map((row) => row.slice(0, 4))).toEqual([
      ['AWS/Lambda', 'Errors', 'FunctionName', `<${FUNCTION_ID}>`],
      ['AWS/Lambda', 'Throttles', 'FunctionName', `<${FUNCTION_ID}>`],
    ]);
    const alarms = widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms ?? []);
    expect(alarms).toEqual(['<FindingsAlarm.Arn>', '<AtRiskKeysAlarm.Arn>', '<ErrorsAlarm.Arn>']);
  });
});

describe('serverless package: real time', () => {
  it('sends CloudTrail CreateLogGroup events to the function, with this exact pattern', () => {
    const stack = stackOf('created');
    expect(stack.resource('RealtimeRule').Properties).toEqual({
      Description: 'Encrypts each new log group on creation',
      EventPattern: {
        source: ['aws.logs'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['logs.amazonaws.com'],
          eventName: ['CreateLogGroup'],
          errorCode: [{ exists: false }],
        },
      },
      Targets: [{ Id: 'Remediate', Arn: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] }, ...TARGET_DELIVERY }],
    });
    expect(stack.resource('RealtimePermission').Properties).toMatchObject({
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['RealtimeRule', 'Arn'] },
    });
  });

  const KEY_EVENTS_PATTERN = {
    source: ['aws.kms'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['kms.amazonaws.com'],
      eventName: ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy'],
      errorCode: [{ exists: false }],
    },
  };

  it('starts a sweep of the state machine on CloudTrail key events, with the schedule’s role', () => {
    const stack = stackOf('created');
    expect(stack.resource('KeyEventsRule').Properties).toEqual({
      Description: expect.stringContaining('KMS key'),
      EventPattern: KEY_EVENTS_PATTERN,
      Targets: [
        {
          Id: 'SweepStateMachine',
          Arn: { Ref: 'SweepStateMachine' },
          RoleArn: { 'Fn::GetAtt': ['SweepScheduleRole', 'Arn'] },
          ...TARGET_DELIVERY,
        },
      ],
    });
    // That role may start this state machine and do nothing else; only EventBridge of this account may assume it.
    const role = stack.resource('SweepScheduleRole');
    const granted = asList(role.Properties.Policies).flatMap((p) =>
      statementsOf(isObject(p) ? p.PolicyDocument : undefined),
    );
    expect(granted.map(withoutSid)).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: 'SweepStateMachine' } },
    ]);
    expect(statementsOf(role.Properties.AssumeRolePolicyDocument)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
    expect(stack.resources.KeyEventsPermission).toBeUndefined();
  });

  it('invokes the function on CloudTrail key events with scheduleTarget=lambda, with a permission for that rule', () => {
    const stack = stackOf('created', { ScheduleTarget: 'lambda' });
    expect(stack.resource('KeyEventsRule').Properties).toMatchObject({
      EventPattern: KEY_EVENTS_PATTERN,
      Targets: [{ Id: 'Remediate', Arn: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] }, ...TARGET_DELIVERY }],
    });
    expect(stack.resource('KeyEventsPermission').Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: FUNCTION_ID },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['KeyEventsRule', 'Arn'] },
    });
  });

  it.each<[string, Record<string, string>]>([
    ['keyEvents=false', { KeyEvents: 'false' }],
    ['keyEvents=false, scheduleTarget=lambda', { KeyEvents: 'false', ScheduleTarget: 'lambda' }],
    ['realtime=false (key events need its trail)', { Realtime: 'false' }],
    ['realtime=false, scheduleTarget=lambda', { Realtime: 'false', ScheduleTarget: 'lambda' }],
  ])('has no key-events rule and no permission with %s', (_case, overrides) => {
    const stack = stackOf('created', overrides);
    expect(Object.keys(stack.resources).filter((id) => id.startsWith('KeyEvents'))).toEqual([]);
  });

  it('defaults keyEvents to "true", and takes only "true" or "false"', () => {
    const parameter = templateOf('created').Parameters.KeyEvents;
    expect(parameter).toMatchObject({ Type: 'String', Default: 'true', AllowedValues: ['true', 'false'] });
  });

  it('has no rule and no permission with realtime=false: the schedule alone runs', () => {
    const stack = stackOf('created', { Realtime: 'false' });
    expect(Object.keys(stack.resources).filter((id) => id.startsWith('Realtime'))).toEqual([]);
    const patterns = Object.values(stack.resources).filter((r) => r.Properties.EventPattern !== undefined);
    expect(patterns).toEqual([]);
  });
});

describe('serverless package: params', () => {
  it('defaults memorySize 256, timeout 300, dryRun false, logRetentionInDays 90, alarmPeriodSeconds 3600', () => {
    const stack = stackOf('created');
    expect(stack.resource(FUNCTION_ID).Properties).toMatchObject({ MemorySize: 256, Timeout: 300 });
    expect(environmentOf(stack).DRY_RUN).toBe('false');
    expect(stack.resource('RemediateLogGroup').Properties.RetentionInDays).toBe(90);
    const metrics = asList(stack.resource('FindingsAlarm').Properties.Metrics as Json[]);
    const periods = metrics.flatMap((m) =>
      isObject(m) && isObject(m.MetricStat) ? [m.MetricStat.Period] : [],
    );
    expect(periods).toEqual([3600, 3600]);
  });
});

describe('serverless package: outputs', () => {
  it.each<[Variant, Json]>([
    ['created', CREATED_KEY_ARN],
    ['keyArn', KEY_ARN],
    ['aliasName', ALIAS_NAME],
  ])('name the topic, the key, the function, the queues and the dashboard (%s)', (variant, keyArn) => {
    expect(stackOf(variant).outputs).toMatchObject({
      ReportTopicArn: { Ref: 'ReportTopic' },
      KeyArn: keyArn,
      FunctionName: { Ref: FUNCTION_ID },
      FailedInvocationsQueueUrl: { Ref: 'FailedInvocationsQueue' },
      UndeliveredEventsQueueUrl: { Ref: 'UndeliveredEventsQueue' },
      DashboardName: { Ref: 'Dashboard' },
    });
  });
});

describe('serverless package: cfn-lint', () => {
  it.each(ALL_VARIANTS)('finds nothing, no rule suppressed (%s)', async (variant) => {
    const template = templateOf(variant);
    // No cfn-lint configuration in the template (Metadata cfn-lint ignore_checks and the like).
    for (const resource of Object.values(template.Resources))
      expect(resource.Metadata?.['cfn-lint']).toBeUndefined();
    expect(JSON.stringify(template)).not.toContain('cfn-lint');
    expect(await cfnLint(packaged[variant].templatePath)).toEqual({ exitCode: 0, output: '' });
  });
});

describe('serverless package: Security Hub', () => {
  it('creates FindingsTopic, its policy, subscription and permission only when securityHub is on (default off)', () => {
    const ids = [
      'FindingsTopic',
      'FindingsTopicPolicy',
      'FindingsSubscription',
      'FindingsPermission',
      'PublishFindingsPolicy',
    ];
    expect(templateOf('created').Parameters?.SecurityHub).toMatchObject({
      Default: 'off',
      AllowedValues: ['on', 'off'],
    });
    for (const id of ids) expect(stackOf('created').resources[id]).toBeUndefined();
    const on = stackOf('created', { SecurityHub: 'on' });
    for (const id of ids) expect(on.resources[id]).toBeDefined();
    expect(environmentOf(on)).toMatchObject({
      SECURITY_HUB: 'on',
      FINDINGS_TOPIC_ARN: { Ref: 'FindingsTopic' },
    });
  });

  it('encrypts FindingsTopic with the report topic’s key and delivers it to the findings function', () => {
    const on = stackOf('created', { SecurityHub: 'on' });
    expect(on.resource('FindingsTopic').Properties.KmsMasterKeyId).toEqual(TOPIC_KEY_ARN);
    expect(on.resource('FindingsSubscription').Properties).toMatchObject({
      Protocol: 'lambda',
      TopicArn: { Ref: 'FindingsTopic' },
      Endpoint: { 'Fn::GetAtt': [FINDINGS_FUNCTION_ID, 'Arn'] },
    });
    expect(on.resource('FindingsPermission').Properties).toMatchObject({
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: 'FindingsTopic' },
      FunctionName: { Ref: FINDINGS_FUNCTION_ID },
    });
  });

  it('lets only the remediator’s role publish to FindingsTopic', () => {
    const statements = statementsOf(
      stackOf('created', { SecurityHub: 'on' }).resource('FindingsTopicPolicy').Properties.PolicyDocument,
    );
    const role = { 'Fn::GetAtt': [ROLE_ID, 'Arn'] };
    expect(statements.map(withoutSid)).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: role },
        Action: 'sns:Publish',
        Resource: { Ref: 'FindingsTopic' },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: 'FindingsTopic' },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': role } },
      },
    ]);
  });

  it('runs the findings function one at a time, from its own zip, with its own role and an encrypted log group', () => {
    const stack = stackOf('created');
    const fn = stack.resource(FINDINGS_FUNCTION_ID).Properties;
    expect(fn).toMatchObject({
      Handler: 'handlers/import-findings.handler',
      ReservedConcurrentExecutions: 1,
    });
    expect(isObject(fn.Code) && String(fn.Code.S3Key).endsWith('/importFindings.zip')).toBe(true);
    expect(JSON.stringify(fn.Role)).toContain(FINDINGS_ROLE_ID);
    expect(stack.resource('ImportFindingsLogGroup').Properties.KmsKeyId).toEqual(CREATED_KEY_ARN);
  });
});

describe('serverless package: the deployment bucket', () => {
  it('blocks every kind of public access (provider.deploymentBucket.blockPublicAccess)', () => {
    expect(
      stackOf('created').resource('ServerlessDeploymentBucket').Properties.PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });
});
