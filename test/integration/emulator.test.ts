/**
 * Proves that the AWS emulator (test/emulator) behaves like AWS where moto 5.2.1 does not:
 * AssociateKmsKey/DisassociateKmsKey with key-policy evaluation, logGroupClass, tagging,
 * KMS fixes, Security Hub's finding store, reset, request counting and fault injection; and that its benchmark aids (bulk
 * seeding, the DescribeLogGroups index, latency stats) leave moto's answers unchanged.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AssociateKmsKeyCommand,
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  type DescribeLogGroupsCommandInput,
  DisassociateKmsKeyCommand,
  ListTagsForResourceCommand,
  type LogGroup,
  type LogGroupClass,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  type CreateKeyCommandInput,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  DisableSecurityHubCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  paginateGetFindings,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Emulator, emulatorEnv, MOTO_INSTALL_HINT, startEmulator } from '../emulator/emulator';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const OTHER_REGION = 'us-west-2';
const CONTEXT_KEY = 'kms:EncryptionContext:aws:logs:arn';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

let em: Emulator;
let logs: CloudWatchLogsClient;
let kms: KMSClient;

const groupArn = (name: string): string => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
const clientConfig = (maxAttempts = 3, region = REGION) => ({
  endpoint: em.endpoint,
  region,
  credentials,
  maxAttempts,
});

const rootStatement = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

/** The statement AWS documents for letting CloudWatch Logs use a key. */
function logsStatement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Sid: 'Allow CloudWatch Logs',
    Effect: 'Allow',
    Principal: { Service: `logs.${REGION}.amazonaws.com` },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
    ...overrides,
  };
}

const keyPolicy = (...statements: Record<string, unknown>[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [rootStatement, ...statements] });

async function createKey(
  input: CreateKeyCommandInput = { Policy: keyPolicy(logsStatement()) },
  client = kms,
) {
  const { KeyMetadata } = await client.send(new CreateKeyCommand(input));
  if (!KeyMetadata?.Arn || !KeyMetadata.KeyId) throw new Error('CreateKey returned no key');
  return { arn: KeyMetadata.Arn, id: KeyMetadata.KeyId };
}

async function createGroup(name: string, extra: { logGroupClass?: LogGroupClass; kmsKeyId?: string } = {}) {
  await logs.send(new CreateLogGroupCommand({ logGroupName: name, ...extra }));
}

async function describeGroup(name: string): Promise<LogGroup | undefined> {
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return logGroups.find((g) => g.logGroupName === name);
}

const associate = (logGroupName: string, kmsKeyId: string, client = logs) =>
  client.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId }));

interface AwsError {
  name: string;
  message: string;
  status: number | undefined;
}

/** The error an SDK call fails with (fails the test if the call succeeds). */
async function awsError(call: Promise<unknown>): Promise<AwsError> {
  const outcome = await call.then(
    () => undefined,
    (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => err,
  );
  if (!outcome) throw new Error('expected the AWS call to fail, it succeeded');
  return { name: outcome.name, message: outcome.message, status: outcome.$metadata?.httpStatusCode };
}

const notAllowedMessage = (name: string): string =>
  `The specified KMS key does not exist or is not allowed to be used with LogGroup '${groupArn(name)}'`;

/** Seeding stores kmsKeyId as given, like CreateLogGroup: no KMS key needs to exist. */
const KEY_PLACEHOLDER = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;

async function groupsWithPrefix(logGroupNamePrefix: string): Promise<LogGroup[]> {
  return (await describePages({ logGroupNamePrefix })).flatMap((page) => page.logGroups);
}

interface DescribePage {
  logGroups: LogGroup[];
  nextToken: string | undefined;
}

/** Every page DescribeLogGroups answers for the input, following nextToken. */
async function describePages(input: DescribeLogGroupsCommandInput): Promise<DescribePage[]> {
  const pages: DescribePage[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new DescribeLogGroupsCommand({ ...input, nextToken }));
    pages.push({ logGroups: page.logGroups ?? [], nextToken: page.nextToken });
    nextToken = page.nextToken;
  } while (nextToken && pages.length < 1_000);
  return pages;
}

beforeAll(async () => {
  em = await startEmulator();
  logs = new CloudWatchLogsClient(clientConfig());
  kms = new KMSClient(clientConfig());
});

afterAll(async () => {
  logs?.destroy();
  kms?.destroy();
  await em?.stop();
});

beforeEach(async () => {
  await em.clearFaults();
  await em.setDescribeIndex(true);
  await em.reset();
  await em.resetRequestCounts();
});

describe('AssociateKmsKey', () => {
  it.each([
    ['a bare key id', (key: { id: string }) => key.id],
    ['an alias name', () => 'alias/logs'],
    ['an alias ARN', () => `arn:aws:kms:${REGION}:${ACCOUNT}:alias/logs`],
  ])('rejects %s with InvalidParameterException (only key ARNs are accepted)', async (_label, keyId) => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/logs', TargetKeyId: key.id }));
    await createGroup('/aws/rds/x');

    const error = await awsError(associate('/aws/rds/x', keyId(key)));

    expect(error).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBeUndefined();
  });

  it('answers AccessDeniedException with the exact AWS message for a key that does not exist', async () => {
    await createGroup('/aws/rds/x');
    const missingKey = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

    expect(await awsError(associate('/aws/rds/x', missingKey))).toEqual({
      name: 'AccessDeniedException',
      message: notAllowedMessage('/aws/rds/x'),
      status: 400,
    });
  });

  it.each([
    [
      'is disabled',
      async () => {
        const key = await createKey();
        await kms.send(new DisableKeyCommand({ KeyId: key.arn }));
        return key.arn;
      },
    ],
    [
      'is pending deletion',
      async () => {
        const key = await createKey();
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.arn, PendingWindowInDays: 7 }));
        return key.arn;
      },
    ],
    [
      'is an asymmetric signing key',
      async () =>
        (
          await createKey({
            KeySpec: 'RSA_2048',
            KeyUsage: 'SIGN_VERIFY',
            Policy: keyPolicy(logsStatement()),
          })
        ).arn,
    ],
    [
      'is an asymmetric encryption key',
      async () =>
        (
          await createKey({
            KeySpec: 'RSA_2048',
            KeyUsage: 'ENCRYPT_DECRYPT',
            Policy: keyPolicy(logsStatement()),
          })
        ).arn,
    ],
  ])('rejects a key that %s with InvalidParameterException', async (_label, makeKey) => {
    await createGroup('/aws/rds/x');
    const keyArn = await makeKey();

    const error = await awsError(associate('/aws/rds/x', keyArn));

    expect(error).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(error.message).toContain(keyArn);
  });

  it.each([
    [
      'in another region',
      async () => {
        const otherKms = new KMSClient(clientConfig(3, OTHER_REGION));
        const policy = keyPolicy(
          logsStatement({ Principal: { Service: `logs.${OTHER_REGION}.amazonaws.com` } }),
        );
        const key = await createKey({ Policy: policy }, otherKms);
        otherKms.destroy();
        return key.arn;
      },
    ],
    ['of another account', async () => (await createKey()).arn.replace(`:${ACCOUNT}:`, ':210987654321:')],
  ])('denies a key %s with AccessDeniedException', async (_label, makeKeyArn) => {
    await createGroup('/aws/rds/x');

    expect(await awsError(associate('/aws/rds/x', await makeKeyArn()))).toEqual({
      name: 'AccessDeniedException',
      message: notAllowedMessage('/aws/rds/x'),
      status: 400,
    });
  });

  it.each([
    ['has only the default (account root) statement', keyPolicy()],
    [
      'names the logs principal of another region',
      keyPolicy(logsStatement({ Principal: { Service: 'logs.us-west-2.amazonaws.com' } })),
    ],
    [
      'misses kms:ReEncrypt*',
      keyPolicy(
        logsStatement({ Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'] }),
      ),
    ],
    ['is not JSON', 'not a policy'],
  ])('denies a key whose policy %s', async (_label, policy) => {
    await createGroup('/aws/rds/x');
    const key = await createKey({ Policy: policy });

    expect(await awsError(associate('/aws/rds/x', key.arn))).toMatchObject({
      name: 'AccessDeniedException',
      message: notAllowedMessage('/aws/rds/x'),
    });
  });

  it.each([
    ['Principal "*"', { Principal: '*' }],
    ['Principal {"AWS": "*"}', { Principal: { AWS: '*' } }],
    [
      'Principal.Service as a list',
      { Principal: { Service: ['events.amazonaws.com', `logs.${REGION}.amazonaws.com`] } },
    ],
    ['Action "kms:*"', { Action: 'kms:*' }],
    [
      'Action with ? and mixed case',
      {
        Action: [
          'KMS:encrypt',
          'kms:decrypt',
          'kms:ReEncrypt????',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
      },
    ],
    [
      'NotAction excluding other actions',
      { Action: undefined, NotAction: ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'] },
    ],
  ])('accepts a policy allowing logs via %s', async (_label, overrides) => {
    await createGroup('/aws/rds/x');
    const key = await createKey({ Policy: keyPolicy(logsStatement(overrides)) });

    await associate('/aws/rds/x', key.arn);

    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBe(key.arn);
  });

  const rdsPattern = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/rds/*`;
  it.each([
    ['ArnLike on /aws/rds/*', { ArnLike: { [CONTEXT_KEY]: rdsPattern } }, ['/aws/rds/x'], ['/aws/lambda/y']],
    [
      'ArnEquals (per-component glob, like ArnLike)',
      { ArnEquals: { [CONTEXT_KEY]: rdsPattern } },
      ['/aws/rds/x'],
      ['/aws/lambda/y'],
    ],
    [
      'ArnLike with a wildcard resource part',
      { ArnLike: { [CONTEXT_KEY]: `arn:aws:logs:${REGION}:${ACCOUNT}:*` } },
      ['/aws/rds/x', '/aws/lambda/y'],
      [],
    ],
    [
      'ArnLike on another account',
      { ArnLike: { [CONTEXT_KEY]: 'arn:aws:logs:*:999999999999:*' } },
      [],
      ['/aws/rds/x'],
    ],
    [
      'ArnLike with the ":*" group ARN (context has no ":*")',
      { ArnLike: { [CONTEXT_KEY]: `${groupArn('/aws/rds/x')}:*` } },
      [],
      ['/aws/rds/x'],
    ],
    [
      'StringEquals with a list of ARNs',
      { StringEquals: { [CONTEXT_KEY]: [groupArn('/other'), groupArn('/aws/rds/x')] } },
      ['/aws/rds/x'],
      ['/aws/lambda/y'],
    ],
    [
      'StringLike',
      { StringLike: { [CONTEXT_KEY]: '*:log-group:/aws/lambda/*' } },
      ['/aws/lambda/y'],
      ['/aws/rds/x'],
    ],
    ['ArnNotLike', { ArnNotLike: { [CONTEXT_KEY]: rdsPattern } }, ['/aws/lambda/y'], ['/aws/rds/x']],
    [
      'StringNotEquals',
      { StringNotEquals: { [CONTEXT_KEY]: groupArn('/aws/rds/x') } },
      ['/aws/lambda/y'],
      ['/aws/rds/x'],
    ],
    [
      'ArnLikeIfExists',
      { ArnLikeIfExists: { [CONTEXT_KEY]: rdsPattern } },
      ['/aws/rds/x'],
      ['/aws/lambda/y'],
    ],
    [
      'two operators (AND)',
      { ArnLike: { [CONTEXT_KEY]: rdsPattern }, StringNotLike: { [CONTEXT_KEY]: '*/secret*' } },
      ['/aws/rds/x'],
      ['/aws/rds/secret', '/aws/lambda/y'],
    ],
    [
      'on a key the service principal has (aws:SecureTransport)',
      { Bool: { 'aws:SecureTransport': 'true' } },
      ['/aws/rds/x', '/aws/lambda/y'],
      [],
    ],
    [
      'on a key only IAM callers have (aws:PrincipalArn)',
      { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/*` } },
      [],
      ['/aws/rds/x', '/aws/lambda/y'],
    ],
    [
      'on a key the emulator leaves out of the request (aws:SourceAccount)',
      { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      [],
      ['/aws/rds/x', '/aws/lambda/y'],
    ],
  ])('evaluates the condition %s', async (_label, condition, allowed, denied) => {
    const key = await createKey({ Policy: keyPolicy(logsStatement({ Condition: condition })) });
    for (const name of [...allowed, ...denied]) await createGroup(name);

    for (const name of allowed) await associate(name, key.arn);
    for (const name of denied) {
      expect(await awsError(associate(name, key.arn))).toMatchObject({
        name: 'AccessDeniedException',
        message: notAllowedMessage(name),
      });
    }

    for (const name of allowed) expect((await describeGroup(name))?.kmsKeyId).toBe(key.arn);
    for (const name of denied) expect((await describeGroup(name))?.kmsKeyId).toBeUndefined();
  });

  it.each([
    [
      'kms:Decrypt for logs',
      { Principal: { Service: `logs.${REGION}.amazonaws.com` }, Action: 'kms:Decrypt' },
    ],
    ['kms:ReEncrypt* for everyone', { Principal: '*', Action: 'kms:ReEncrypt*' }],
    [
      'all actions on the rds groups',
      {
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: 'kms:*',
        Condition: { ArnLike: { [CONTEXT_KEY]: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/rds/*` } },
      },
    ],
  ])('lets an explicit Deny (%s) win over the Allow', async (_label, deny) => {
    await createGroup('/aws/rds/x');
    const key = await createKey({
      Policy: keyPolicy(logsStatement(), { Effect: 'Deny', Resource: '*', ...deny }),
    });

    expect(await awsError(associate('/aws/rds/x', key.arn))).toMatchObject({ name: 'AccessDeniedException' });
    // The Deny names the logs service (or ReEncrypt), so the test's own caller can still describe the key.
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('answers ResourceNotFoundException for a log group that does not exist', async () => {
    const key = await createKey();

    expect(await awsError(associate('/aws/rds/missing', key.arn))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
      status: 400,
    });
  });

  it('stores the key ARN, shows it in DescribeLogGroups, and re-associating is a no-op', async () => {
    const key = await createKey();
    await createGroup('/aws/rds/x');
    await createGroup('/aws/rds/untouched');

    await associate('/aws/rds/x', key.arn);
    await associate('/aws/rds/x', key.arn);

    expect(await describeGroup('/aws/rds/x')).toMatchObject({
      kmsKeyId: key.arn,
      arn: `${groupArn('/aws/rds/x')}:*`,
      logGroupArn: groupArn('/aws/rds/x'),
    });
    expect((await describeGroup('/aws/rds/untouched'))?.kmsKeyId).toBeUndefined();
  });

  it.each([
    ['without', groupArn('/aws/rds/x')],
    ['with', `${groupArn('/aws/rds/x')}:*`],
  ])('addresses the group by resourceIdentifier %s the trailing ":*"', async (_label, resourceIdentifier) => {
    const key = await createKey();
    await createGroup('/aws/rds/x');

    await logs.send(new AssociateKmsKeyCommand({ resourceIdentifier, kmsKeyId: key.arn }));
    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBe(key.arn);

    await logs.send(new DisassociateKmsKeyCommand({ resourceIdentifier }));
    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBeUndefined();
  });

  it('rejects naming the group both by name and by resourceIdentifier', async () => {
    const key = await createKey();
    await createGroup('/aws/rds/x');
    const input = {
      logGroupName: '/aws/rds/x',
      resourceIdentifier: groupArn('/aws/rds/x'),
      kmsKeyId: key.arn,
    };

    expect(await awsError(logs.send(new AssociateKmsKeyCommand(input)))).toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('DisassociateKmsKey', () => {
  it('removes the key from the group', async () => {
    const key = await createKey();
    await createGroup('/aws/rds/x', { kmsKeyId: key.arn });
    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBe(key.arn);

    await logs.send(new DisassociateKmsKeyCommand({ logGroupName: '/aws/rds/x' }));

    expect((await describeGroup('/aws/rds/x'))?.kmsKeyId).toBeUndefined();
  });

  it('answers ResourceNotFoundException for a missing group', async () => {
    const error = await awsError(
      logs.send(new DisassociateKmsKeyCommand({ logGroupName: '/aws/rds/missing' })),
    );

    expect(error).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });
});

describe('log groups', () => {
  it.each<[LogGroupClass | undefined, LogGroupClass]>([
    [undefined, 'STANDARD'],
    ['STANDARD', 'STANDARD'],
    ['INFREQUENT_ACCESS', 'INFREQUENT_ACCESS'],
    ['DELIVERY', 'DELIVERY'],
  ])('round-trips logGroupClass %s as %s', async (requested, described) => {
    await createGroup('/aws/class', requested ? { logGroupClass: requested } : {});

    expect(await describeGroup('/aws/class')).toMatchObject({
      logGroupClass: described,
      arn: `${groupArn('/aws/class')}:*`,
      logGroupArn: groupArn('/aws/class'),
    });
  });

  it('rejects an unknown logGroupClass', async () => {
    const error = await awsError(
      logs.send(new CreateLogGroupCommand({ logGroupName: '/x', logGroupClass: 'GLACIER' as LogGroupClass })),
    );

    expect(error).toMatchObject({ name: 'ValidationException' });
  });

  it('creates a group with a kmsKeyId and tags, and tags it further via its ARN without ":*"', async () => {
    const key = await createKey();
    await logs.send(
      new CreateLogGroupCommand({ logGroupName: '/aws/t', kmsKeyId: key.arn, tags: { team: 'a' } }),
    );
    const resourceArn = (await describeGroup('/aws/t'))?.logGroupArn ?? '';

    await logs.send(new TagResourceCommand({ resourceArn, tags: { env: 'test' } }));

    expect((await describeGroup('/aws/t'))?.kmsKeyId).toBe(key.arn);
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn }))).tags).toEqual({
      team: 'a',
      env: 'test',
    });
  });

  it.each([
    ['the ":*" form of the ARN', `${groupArn('/aws/t')}:*`, 'ValidationException'],
    ['a group that does not exist', groupArn('/aws/missing'), 'ResourceNotFoundException'],
  ])('ListTagsForResource rejects %s like AWS', async (_label, resourceArn, name) => {
    await createGroup('/aws/t');

    expect(await awsError(logs.send(new ListTagsForResourceCommand({ resourceArn })))).toMatchObject({
      name,
    });
  });
});

describe('KMS', () => {
  it('defaults CreateKey to a symmetric ENCRYPT_DECRYPT key', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));

    expect(KeyMetadata).toMatchObject({
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyState: 'Enabled',
    });
  });

  it('creates RSA_2048 signing keys', async () => {
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    );

    expect(KeyMetadata).toMatchObject({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'RSA_2048' });
  });

  it('disables and schedules deletion of keys addressed by ARN', async () => {
    const disabled = await createKey();
    const deleted = await createKey();

    await kms.send(new DisableKeyCommand({ KeyId: disabled.arn }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: deleted.arn, PendingWindowInDays: 7 }));

    const state = async (arn: string) => (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
    expect(await state(disabled.arn)).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(await state(deleted.arn)).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false });
  });

  it('rejects a deletion window outside 7..30 days', async () => {
    const key = await createKey();

    const error = await awsError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.arn, PendingWindowInDays: 3 })),
    );

    expect(error).toMatchObject({ name: 'ValidationException' });
  });

  it('puts and gets the key policy without a PolicyName', async () => {
    const key = await createKey();
    const policy = keyPolicy(logsStatement({ Sid: 'new' }));

    await kms.send(new PutKeyPolicyCommand({ KeyId: key.arn, Policy: policy }));

    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.id }))).Policy).toBe(policy);
  });

  it('enables rotation of symmetric keys only', async () => {
    const key = await createKey();
    const signing = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    const rotation = async () =>
      (await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.arn }))).KeyRotationEnabled;

    expect(await rotation()).toBe(false);
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.arn }));
    expect(await rotation()).toBe(true);
    expect(await awsError(kms.send(new EnableKeyRotationCommand({ KeyId: signing.arn })))).toMatchObject({
      name: 'UnsupportedOperationException',
    });
  });

  it.each([
    ['alias name', 'alias/app'],
    ['alias ARN', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`],
  ])('describes a key by its %s', async (_label, keyId) => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: key.id }));

    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Arn).toBe(key.arn);
  });
});

describe('reset', () => {
  it('clears log groups, keys and the patched fields', async () => {
    const key = await createKey();
    await createGroup('/aws/rds/x', { logGroupClass: 'DELIVERY' });
    await associate('/aws/rds/x', key.arn);

    await em.reset();

    expect(await describeGroup('/aws/rds/x')).toBeUndefined();
    expect(await awsError(kms.send(new DescribeKeyCommand({ KeyId: key.arn })))).toMatchObject({
      name: 'NotFoundException',
    });
    await createGroup('/aws/rds/x');
    const group = await describeGroup('/aws/rds/x');
    expect(group?.logGroupClass).toBe('STANDARD');
    expect(group?.kmsKeyId).toBeUndefined();
  });
});

describe('request counts', () => {
  it('counts requests per service and operation, for JSON and query protocols', async () => {
    const sns = new SNSClient(clientConfig());
    const sqs = new SQSClient(clientConfig());
    const key = await createKey();
    await em.resetRequestCounts();

    for (let i = 0; i < 3; i++) await logs.send(new DescribeLogGroupsCommand({}));
    await kms.send(new DescribeKeyCommand({ KeyId: key.arn }));
    await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }));

    expect(await em.requestCounts()).toEqual({
      'logs.DescribeLogGroups': 3,
      'kms.DescribeKey': 1,
      'sns.CreateTopic': 1,
      'sqs.CreateQueue': 1,
    });
    await em.resetRequestCounts();
    expect(await em.requestCounts()).toEqual({});
    sns.destroy();
    sqs.destroy();
  });

  it("times moto's handling per operation, without the injected faults, and resets the times", async () => {
    await createGroup('/aws/t');
    for (let i = 0; i < 3; i++) await logs.send(new DescribeLogGroupsCommand({}));
    await em.setFaults({ errorRates: { 'logs.ListTagsForResource': { ThrottlingException: 1 } } });
    const listTags = new CloudWatchLogsClient(clientConfig(1));
    await awsError(listTags.send(new ListTagsForResourceCommand({ resourceArn: groupArn('/aws/t') })));
    listTags.destroy();

    const { requests, latencyMs } = await em.stats();

    expect(requests).toEqual({
      'logs.CreateLogGroup': 1,
      'logs.DescribeLogGroups': 3,
      'logs.ListTagsForResource': 1,
    });
    expect(Object.keys(latencyMs).sort()).toEqual(['logs.CreateLogGroup', 'logs.DescribeLogGroups']);
    const timing = latencyMs['logs.DescribeLogGroups'] ?? { count: 0, total: 0, max: 0 };
    expect(timing.count).toBe(3);
    expect(timing.max).toBeGreaterThan(0);
    expect(timing.max).toBeLessThanOrEqual(timing.total);
    expect(timing.total).toBeLessThan(3 * 1_000);
    await em.resetRequestCounts();
    expect((await em.stats()).latencyMs).toEqual({});
  });
});

describe('bulk seeding', () => {
  it('creates groups that DescribeLogGroups, AssociateKmsKey and tagging see as if made by CreateLogGroup', async () => {
    const key = await createKey();
    await logs.send(
      new CreateLogGroupCommand({
        logGroupName: '/made/a',
        kmsKeyId: key.arn,
        logGroupClass: 'DELIVERY',
        tags: { team: 'a' },
      }),
    );

    expect(
      await em.seedLogGroups({
        groups: [
          { name: '/seed/a', kmsKeyId: key.arn, logGroupClass: 'DELIVERY', tags: { team: 'a' } },
          { name: '/seed/b' },
          { name: '/seed/c', logGroupClass: 'INFREQUENT_ACCESS' },
        ],
      }),
    ).toEqual({ created: 3 });

    const seeded = await describeGroup('/seed/a');
    const made = await describeGroup('/made/a');
    expect({ ...seeded, creationTime: 0 }).toEqual({
      ...made,
      creationTime: 0,
      logGroupName: '/seed/a',
      arn: `${groupArn('/seed/a')}:*`,
      logGroupArn: groupArn('/seed/a'),
    });
    expect(seeded).toMatchObject({ kmsKeyId: key.arn, logGroupClass: 'DELIVERY' });
    const plain = await describeGroup('/seed/b');
    expect(plain?.logGroupClass).toBe('STANDARD');
    expect(plain?.kmsKeyId).toBeUndefined();
    expect((await describeGroup('/seed/c'))?.logGroupClass).toBe('INFREQUENT_ACCESS');

    await associate('/seed/b', key.arn);
    expect((await describeGroup('/seed/b'))?.kmsKeyId).toBe(key.arn);
    const tags = async (name: string) =>
      (await logs.send(new ListTagsForResourceCommand({ resourceArn: groupArn(name) }))).tags;
    expect(await tags('/seed/a')).toEqual({ team: 'a' });
    expect(await tags('/seed/b')).toEqual({});
  });

  it('generates 7-digit names from start, every unencryptedEvery-th index without the key', async () => {
    await em.seedLogGroups({
      generate: {
        prefix: '/gen/',
        count: 45,
        unencryptedEvery: 20,
        kmsKeyId: KEY_PLACEHOLDER,
        tags: { b: '1' },
      },
    });
    await em.seedLogGroups({ generate: { prefix: '/gen/', start: 45, count: 2, logGroupClass: 'DELIVERY' } });

    const groups = await groupsWithPrefix('/gen/');

    expect(groups.map((g) => g.logGroupName)).toEqual(
      Array.from({ length: 47 }, (_, i) => `/gen/${String(i).padStart(7, '0')}`),
    );
    expect(groups.filter((g) => !g.kmsKeyId).map((g) => g.logGroupName)).toEqual([
      '/gen/0000000',
      '/gen/0000020',
      '/gen/0000040',
      '/gen/0000045',
      '/gen/0000046',
    ]);
    expect(groups.filter((g) => g.kmsKeyId === KEY_PLACEHOLDER)).toHaveLength(42);
    expect(groups.filter((g) => g.logGroupClass === 'DELIVERY')).toHaveLength(2);
    const resourceArn = groupArn('/gen/0000044');
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn }))).tags).toEqual({ b: '1' });
  });

  it('seeds another region and account, and a moto reset removes seeded groups', async () => {
    await em.seedLogGroups({
      region: OTHER_REGION,
      account: '210987654321',
      groups: [{ name: '/elsewhere' }],
    });
    await em.seedLogGroups({ groups: [{ name: '/here' }] });

    expect((await describePages({})).flatMap((p) => p.logGroups.map((g) => g.logGroupName))).toEqual([
      '/here',
    ]);
    await em.reset();
    expect(await describeGroup('/here')).toBeUndefined();
    await em.seedLogGroups({ groups: [{ name: '/here' }] });
    expect(await describeGroup('/here')).toBeDefined();
  });

  it('is not counted as AWS requests', async () => {
    await em.seedLogGroups({ generate: { prefix: '/quiet/', count: 10 } });

    expect(await em.stats()).toEqual({ requests: {}, faults: {}, latencyMs: {} });
  });

  it.each([
    [
      'an existing name',
      { groups: [{ name: '/new' }, { name: '/exists' }] },
      'ResourceAlreadyExistsException',
    ],
    ['a name given twice', { groups: [{ name: '/new' }, { name: '/new' }] }, 'ValidationException'],
    [
      'an unknown logGroupClass',
      { groups: [{ name: '/new', logGroupClass: 'GLACIER' }] },
      'ValidationException',
    ],
    [
      'unencryptedEvery without kmsKeyId',
      { generate: { prefix: '/new', count: 1, unencryptedEvery: 2 } },
      '',
    ],
    [
      'a name longer than 512',
      { groups: [{ name: '/new' }, { name: `/${'x'.repeat(512)}` }] },
      'InvalidParameter',
    ],
    ['an unknown field', { groups: [{ name: '/new', retention: 1 }] }, 'ValidationException'],
  ])('rejects %s with HTTP 400 and creates nothing', async (_label, body, code) => {
    await createGroup('/exists');

    await expect(em.seedLogGroups(body as never)).rejects.toThrow(new RegExp(`\\(400\\).*${code}`));

    expect(await describeGroup('/new')).toBeUndefined();
  });
});

describe('DescribeLogGroups index', () => {
  const families = [
    '/aws/lambda/',
    '/aws/lambda-edge/',
    '/aws/rds/',
    '/app/',
    '/app',
    'App/',
    '#',
    '_',
    '/a.b',
  ];
  // 2,000 distinct names; numbers without padding, so '/app10' sorts before '/app9'.
  const names = Array.from(
    { length: 2_000 },
    (_, i) => `${families[i % families.length]}${(i * 7919) % 10007}`,
  );
  const scenarios: DescribeLogGroupsCommandInput[] = [
    {},
    { logGroupNamePrefix: '', limit: 50 },
    { logGroupNamePrefix: '/aws/lambda', limit: 50 },
    { logGroupNamePrefix: '/app', limit: 13 },
    { logGroupNamePrefix: '/app1', limit: 3 },
    { logGroupNamePrefix: '#1', limit: 1 },
    { logGroupNamePrefix: '/nothing', limit: 50 },
    { logGroupNamePrefix: '~', limit: 50 },
  ];

  it("pages with prefix and limit exactly like moto's own code, and like a sorted list", async () => {
    await em.seedLogGroups({
      groups: names.map((name, i) => ({ name, ...(i % 3 ? { kmsKeyId: KEY_PLACEHOLDER } : {}) })),
    });
    const pagesPerScenario = () => Promise.all(scenarios.map((input) => describePages(input)));
    const before = await em.describeIndex();

    const indexed = await pagesPerScenario();
    const afterIndexed = await em.describeIndex();
    await em.setDescribeIndex(false);
    const moto = await pagesPerScenario();
    const afterMoto = await em.describeIndex();

    expect(indexed).toEqual(moto); // groups, order, page boundaries and nextTokens
    const pageCount = indexed.flat().length;
    expect(afterIndexed.indexedPages - before.indexedPages).toBe(pageCount);
    expect(afterMoto.motoPages - afterIndexed.motoPages).toBe(pageCount);
    scenarios.forEach((input, i) => {
      const prefix = input.logGroupNamePrefix ?? '';
      const limit = input.limit ?? 50;
      const expected = names.filter((name) => name.startsWith(prefix)).sort();
      const pages = indexed[i] ?? [];
      expect(pages.flatMap((p) => p.logGroups.map((g) => g.logGroupName))).toEqual(expected);
      expect(pages).toHaveLength(Math.max(1, Math.ceil(expected.length / limit)));
      expect(pages.slice(0, -1).every((p) => p.logGroups.length === limit && p.nextToken)).toBe(true);
      expect(pages.at(-1)?.nextToken).toBeUndefined();
    });
    expect(indexed[0]).toHaveLength(40);
    expect(indexed[6]).toEqual([{ logGroups: [], nextToken: undefined }]);
  });

  it('answers like moto when groups come and go between pages, and for foreign or garbled tokens; goes on after a stale one', async () => {
    const send = (input: DescribeLogGroupsCommandInput) =>
      logs.send(new DescribeLogGroupsCommand(input)).then(
        (page) => ({ names: (page.logGroups ?? []).map((g) => g.logGroupName), nextToken: page.nextToken }),
        (error: Error) => ({ error: error.name }),
      );
    const tokenOf = (outcome: { nextToken?: string } | { error: string }) =>
      'nextToken' in outcome ? outcome.nextToken : undefined;
    const scenario = async () => {
      await em.reset();
      await em.seedLogGroups({ generate: { prefix: '/p/', count: 12 } });
      const first = await send({ logGroupNamePrefix: '/p/', limit: 5 });
      await logs.send(new DeleteLogGroupCommand({ logGroupName: '/p/0000002' })); // already listed
      await createGroup('/p/0000005a'); // sorts into the next page
      const second = await send({ logGroupNamePrefix: '/p/', limit: 5, nextToken: tokenOf(first) });
      await logs.send(new DeleteLogGroupCommand({ logGroupName: '/p/0000009' })); // the next page's first group
      return {
        first,
        second,
        stale: await send({ logGroupNamePrefix: '/p/', limit: 5, nextToken: tokenOf(second) }),
        foreign: await send({ logGroupNamePrefix: '/q/', limit: 5, nextToken: tokenOf(first) }),
        garbled: await send({ logGroupNamePrefix: '/p/', limit: 5, nextToken: 'bm90IGEgdG9rZW4=' }),
        tooLarge: await send({ limit: 51 }),
      };
    };

    const indexed = await scenario();
    await em.setDescribeIndex(false);
    const moto = await scenario();

    // Alike but for the stale token, where the index goes on as a place in name order (see below).
    expect({ ...indexed, stale: undefined }).toEqual({ ...moto, stale: undefined });
    expect(moto.stale).toEqual({ names: [], nextToken: undefined });
    const p = (n: number) => `/p/${String(n).padStart(7, '0')}`;
    expect(indexed).toMatchObject({
      first: { names: [0, 1, 2, 3, 4].map(p) },
      second: { names: [p(5), '/p/0000005a', p(6), p(7), p(8)] },
      // moto alone ends the listing when the token's group is gone, which would end a resumed sweep
      // early; the index goes on from where that name sorts, as a token that is a place would.
      stale: { names: [p(10), p(11)], nextToken: undefined },
      foreign: { error: 'InvalidToken' },
      garbled: { names: [], nextToken: undefined },
      tooLarge: { error: 'InvalidParameterException' },
    });
  });

  it("leaves requests with filters moto does not read (logGroupNamePattern) to moto's own code", async () => {
    await em.seedLogGroups({ groups: [{ name: '/x/1' }, { name: '/y/2' }] });
    const before = await em.describeIndex();

    const patterned = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'x' }));

    const after = await em.describeIndex();
    expect(after.motoPages - before.motoPages).toBe(1);
    expect(after.indexedPages).toBe(before.indexedPages);
    // moto 5.2.1 ignores the pattern, before and after the index.
    expect(patterned.logGroups?.map((g) => g.logGroupName)).toEqual(['/x/1', '/y/2']);
  });
});

describe('fault injection', () => {
  let logsOnce: CloudWatchLogsClient;
  let kmsOnce: KMSClient;
  let snsOnce: SNSClient;

  beforeAll(() => {
    logsOnce = new CloudWatchLogsClient(clientConfig(1));
    kmsOnce = new KMSClient(clientConfig(1));
    snsOnce = new SNSClient(clientConfig(1));
  });

  afterAll(() => {
    for (const client of [logsOnce, kmsOnce, snsOnce]) client.destroy();
  });

  const describeOnce = () => logsOnce.send(new DescribeLogGroupsCommand({}));

  it.each([
    ['ThrottlingException', 400, 'Rate exceeded'],
    ['ServiceUnavailableException', 503, 'The service is unavailable. Please try again later.'],
    [
      'OperationAbortedException',
      400,
      'Multiple concurrent requests to update the same resource were in conflict.',
    ],
  ])('answers %s with HTTP %i in the AWS JSON error shape', async (code, status, message) => {
    await em.setFaults({ errorRates: { 'logs.DescribeLogGroups': { [code]: 1 } } });

    expect(await awsError(describeOnce())).toEqual({ name: code, message, status });
    expect((await em.stats()).faults).toEqual({ [`logs.DescribeLogGroups.${code}`]: 1 });
  });

  it('applies "*" to logs and kms only, and to SNS when named, in the query (XML) error shape', async () => {
    await em.setFaults({ errorRates: { '*': { ThrottlingException: 1 } } });
    expect(await awsError(describeOnce())).toMatchObject({ name: 'ThrottlingException' });
    expect(await awsError(kmsOnce.send(new CreateKeyCommand({})))).toMatchObject({
      name: 'ThrottlingException',
    });
    await snsOnce.send(new ListTopicsCommand({}));

    await em.setFaults({ errorRates: { 'sns.ListTopics': { ThrottlingException: 1 } } });
    expect(await awsError(snsOnce.send(new ListTopicsCommand({})))).toEqual({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      status: 400,
    });
    expect((await em.stats()).faults).toEqual({
      'logs.DescribeLogGroups.ThrottlingException': 1,
      'kms.CreateKey.ThrottlingException': 1,
      'sns.ListTopics.ThrottlingException': 1,
    });
  });

  it('lets a specific operation override "*"', async () => {
    await em.setFaults({
      errorRates: { '*': { ThrottlingException: 1 }, 'logs.DescribeLogGroups': { ThrottlingException: 0 } },
    });

    await describeOnce();
    expect(await awsError(kmsOnce.send(new CreateKeyCommand({})))).toMatchObject({
      name: 'ThrottlingException',
    });
  });

  it('is reproducible for a given seed', async () => {
    const outcomes = async (): Promise<string[]> => {
      await em.setFaults({
        seed: 42,
        errorRates: { 'logs.DescribeLogGroups': { ThrottlingException: 0.5 } },
      });
      const results: string[] = [];
      for (let i = 0; i < 20; i++)
        results.push(
          await describeOnce().then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      return results;
    };

    const first = await outcomes();
    const second = await outcomes();

    expect(second).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('ThrottlingException');
  });

  it('throttles a burst above tpsLimits: a bucket of one second of calls, refilled at the limit', async () => {
    await em.setFaults({ tpsLimits: { 'logs.DescribeLogGroups': 5 } });

    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => describeOnce()));
    const elapsed = Date.now() - started;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const throttled = results.filter(
      (r) => r.status === 'rejected' && r.reason.name === 'ThrottlingException',
    );

    // The full bucket admits 5; it refills at 5 per second while the burst goes on.
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(5 + Math.ceil((5 * elapsed) / 1000));
    expect(throttled).toHaveLength(20 - ok);
    expect((await em.stats()).faults['logs.DescribeLogGroups.ThrottlingException']).toBe(20 - ok);
    // Other operations have their own bucket.
    await kmsOnce.send(new CreateKeyCommand({}));

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await describeOnce();
  });

  it('never throttles a client paced at the limit, jitter and all', async () => {
    await em.setFaults({ tpsLimits: { 'logs.DescribeLogGroups': 5 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      // 200 ms apart on average, each early or late by up to 60 ms.
      await new Promise((resolve) => setTimeout(resolve, 140 + ((i * 37) % 120)));
      outcomes.push(
        await describeOnce().then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
  });

  it('answers groupErrors for the named group; ResourceNotFoundException also deletes it', async () => {
    const key = await createKey();
    await createGroup('/aws/rds/gone');
    await createGroup('/aws/rds/busy');
    await createGroup('/aws/rds/fine');
    await em.setFaults({
      groupErrors: {
        '/aws/rds/gone': 'ResourceNotFoundException',
        '/aws/rds/bu*': 'OperationAbortedException',
      },
    });

    expect(await awsError(associate('/aws/rds/gone', key.arn, logsOnce))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
      status: 400,
    });
    expect(await describeGroup('/aws/rds/gone')).toBeUndefined();
    const listTags = (name: string) =>
      logsOnce.send(new ListTagsForResourceCommand({ resourceArn: groupArn(name) }));
    expect(await awsError(listTags('/aws/rds/busy'))).toMatchObject({ name: 'OperationAbortedException' });
    await associate('/aws/rds/fine', key.arn, logsOnce);
    await listTags('/aws/rds/fine');

    expect((await em.stats()).faults).toEqual({
      'logs.AssociateKmsKey.ResourceNotFoundException': 1,
      'logs.ListTagsForResource.OperationAbortedException': 1,
    });
  });

  it('disables the key after N successful associations', async () => {
    const key = await createKey();
    for (const name of ['/g/1', '/g/2', '/g/3']) await createGroup(name);
    await em.setFaults({ disableKeyAfterAssociations: 2 });

    await associate('/g/1', key.arn);
    await associate('/g/2', key.arn);
    const error = await awsError(associate('/g/3', key.arn));

    expect(error).toMatchObject({ name: 'InvalidParameterException' });
    expect(error.message).toContain('Disabled');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata?.KeyState).toBe(
      'Disabled',
    );
    expect((await em.stats()).faults).toEqual({ 'logs.AssociateKmsKey.disableKeyAfterAssociations': 1 });
  });

  it('changes the AssociateKmsKey quota once N associations went through (tpsLimitsAfterAssociations)', async () => {
    const key = await createKey();
    for (const name of ['/q/1', '/q/2', '/q/3', '/q/4', '/q/5']) await createGroup(name);
    await em.setFaults({
      tpsLimits: { 'logs.AssociateKmsKey': 100 },
      tpsLimitsAfterAssociations: { after: 2, tpsLimits: { 'logs.AssociateKmsKey': 1 } },
    });

    // Before the change the bucket holds 100 calls; after it, 1, which the third call uses up.
    await associate('/q/1', key.arn, logsOnce);
    await associate('/q/2', key.arn, logsOnce);
    await associate('/q/3', key.arn, logsOnce);
    const error = await awsError(associate('/q/4', key.arn, logsOnce));

    expect(error).toMatchObject({ name: 'ThrottlingException' });
    expect((await em.stats()).faults).toEqual({ 'logs.AssociateKmsKey.ThrottlingException': 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await associate('/q/5', key.arn, logsOnce);
  });

  it.each([
    [{ after: 0, tpsLimits: {} }],
    [{ after: 2 }],
    [{ after: 2, tpsLimits: { 'logs.AssociateKmsKey': -1 } }],
    [{ after: 2, tpsLimits: {}, extra: 1 }],
  ])('rejects tpsLimitsAfterAssociations %j with HTTP 400', async (change) => {
    await expect(em.setFaults({ tpsLimitsAfterAssociations: change as never })).rejects.toThrow(
      /400.*tpsLimitsAfterAssociations/,
    );
  });

  it('rejects invalid settings and clears them with {}', async () => {
    await expect(em.setFaults({ errorRates: { '*': { ThrottlingException: 2 } } })).rejects.toThrow(/400/);
    await expect(em.setFaults({ bogus: 1 } as never)).rejects.toThrow(/unknown fault settings/);

    await em.setFaults({ errorRates: { '*': { ThrottlingException: 1 } } });
    await em.clearFaults();
    await describeOnce();
  });
});

describe('Security Hub', () => {
  const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
  let hub: SecurityHubClient;
  beforeAll(() => {
    hub = new SecurityHubClient(clientConfig(1));
  });
  afterAll(() => hub.destroy());
  beforeEach(async () => {
    await hub.send(new EnableSecurityHubCommand({}));
  });

  const finding = (id: string, at: string, extra: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding => ({
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: 'emulator-test',
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Test/Check'],
    CreatedAt: at,
    UpdatedAt: at,
    Severity: { Label: 'HIGH' },
    Title: `finding ${id}`,
    Description: 'a test finding',
    Resources: [{ Type: 'Other', Id: groupArn(`/hub/${id}`) }],
    Compliance: { Status: 'FAILED' },
    RecordState: 'ACTIVE',
    ...extra,
  });
  const put = (...findings: AwsSecurityFinding[]) =>
    hub.send(new BatchImportFindingsCommand({ Findings: findings }));
  const one = async (id: string) =>
    (await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] } })))
      .Findings?.[0];
  const setWorkflow = (ids: string[], Status: 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED') =>
    hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: ids.map((Id) => ({ Id, ProductArn: PRODUCT })),
        Workflow: { Status },
      }),
    );

  it('answers InvalidAccessException (HTTP 401) until the hub is enabled, and forgets findings when disabled', async () => {
    await put(finding('a', '2026-01-01T00:00:00.000Z'));
    await hub.send(new DisableSecurityHubCommand({}));
    for (const call of [put(finding('a', '2026-01-01T00:00:00.000Z')), one('a'), setWorkflow(['a'], 'NEW')]) {
      expect(await awsError(call)).toMatchObject({ name: 'InvalidAccessException', status: 401 });
    }
    await hub.send(new EnableSecurityHubCommand({}));
    expect(await one('a')).toBeUndefined();
  });

  it.each<[string, Partial<AwsSecurityFinding>, string]>([
    ['no Title', { Title: undefined }, "missing required fields ['Title']"],
    ['no Types anywhere', { Types: undefined }, "missing required fields ['Types']"],
    ['no Resources', { Resources: [] }, "missing required fields ['Resources']"],
    ['another schema', { SchemaVersion: '2020-01-01' }, 'SchemaVersion must be 2018-10-08'],
    ['another account', { AwsAccountId: '210987654321' }, 'is not the calling account'],
    [
      'another region’s product',
      { ProductArn: PRODUCT.replace(REGION, OTHER_REGION) },
      'is not the default product',
    ],
    ['a bad severity', { Severity: { Label: 'SEVERE' as never } }, 'Severity.Label must be one of'],
    ['a bad time', { UpdatedAt: 'yesterday' }, 'UpdatedAt must be an ISO 8601 timestamp'],
    ['a resource without Type', { Resources: [{ Id: 'x' } as never] }, 'Resources[0] needs Id and Type'],
  ])(
    'refuses a finding with %s in FailedFindings, and takes the valid ones of the batch',
    async (_l, change, why) => {
      const answer = await put(
        finding('good', '2026-01-01T00:00:00.000Z'),
        finding('bad', '2026-01-01T00:00:00.000Z', change),
      );

      expect(answer).toMatchObject({ SuccessCount: 1, FailedCount: 1 });
      expect(answer.FailedFindings).toEqual([
        { Id: 'bad', ErrorCode: 'InvalidInput', ErrorMessage: expect.stringContaining(why) },
      ]);
      expect(await one('bad')).toBeUndefined();
      expect((await one('good'))?.FindingProviderFields).toEqual({
        Severity: { Label: 'HIGH' },
        Types: ['Software and Configuration Checks/Test/Check'],
      });
    },
  );

  it('refuses more than 100 findings a call with InvalidInputException', async () => {
    const many = Array.from({ length: 101 }, (_, i) => finding(`f${i}`, '2026-01-01T00:00:00.000Z'));
    expect(await awsError(put(...many))).toMatchObject({ name: 'InvalidInputException', status: 400 });
  });

  it('keeps Workflow and CreatedAt on re-import, takes the provider’s fields, and reopens RESOLVED as NEW', async () => {
    await put(finding('w', '2026-01-01T00:00:00.000Z', { Workflow: { Status: 'SUPPRESSED' } }));
    expect((await one('w'))?.Workflow?.Status).toBe('SUPPRESSED'); // Set on creation.
    await setWorkflow(['w'], 'NOTIFIED');
    await put(
      finding('w', '2026-01-02T00:00:00.000Z', {
        Workflow: { Status: 'NEW' },
        Severity: { Label: 'LOW' },
        FindingProviderFields: { Severity: { Label: 'CRITICAL' } },
        Compliance: { Status: 'WARNING' },
      }),
    );
    expect(await one('w')).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      CreatedAt: '2026-01-01T00:00:00.000Z',
      UpdatedAt: '2026-01-02T00:00:00.000Z',
      Compliance: { Status: 'WARNING' },
      Severity: { Label: 'CRITICAL' }, // From FindingProviderFields, not the top level.
    });
    await put(
      finding('w', '2026-01-03T00:00:00.000Z', { Compliance: { Status: 'PASSED' }, RecordState: 'ARCHIVED' }),
    );
    await setWorkflow(['w'], 'RESOLVED');
    expect((await one('w'))?.Workflow?.Status).toBe('RESOLVED');
    await put(finding('w', '2026-01-04T00:00:00.000Z'));
    expect(await one('w')).toMatchObject({ Workflow: { Status: 'NEW' }, RecordState: 'ACTIVE' });
    await setWorkflow(['w'], 'SUPPRESSED');
    await put(finding('w', '2026-01-05T00:00:00.000Z', { RecordState: 'ARCHIVED' }));
    await put(finding('w', '2026-01-06T00:00:00.000Z'));
    expect((await one('w'))?.Workflow?.Status).toBe('SUPPRESSED'); // Only NOTIFIED and RESOLVED reopen.
  });

  it('BatchUpdateFindings answers the findings it did not find, and leaves UpdatedAt alone', async () => {
    await put(finding('u', '2026-01-01T00:00:00.000Z'));
    const answer = await setWorkflow(['u', 'missing'], 'RESOLVED');
    expect(answer.ProcessedFindings).toEqual([{ Id: 'u', ProductArn: PRODUCT }]);
    expect(answer.UnprocessedFindings).toEqual([
      {
        FindingIdentifier: { Id: 'missing', ProductArn: PRODUCT },
        ErrorCode: 'FindingNotFound',
        ErrorMessage: expect.any(String),
      },
    ]);
    expect(await one('u')).toMatchObject({
      Workflow: { Status: 'RESOLVED' },
      UpdatedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('filters GetFindings (EQUALS, PREFIX, NOT_EQUALS, UpdatedAt Start/End inclusive) and pages them', async () => {
    await put(
      ...['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05'].map((day, i) =>
        finding(`p${i}`, `${day}T00:00:00.000Z`, i === 4 ? { RecordState: 'ARCHIVED' } : {}),
      ),
    );
    const ids = async (Filters: AwsSecurityFindingFilters) => {
      const found: string[] = [];
      for await (const page of paginateGetFindings({ client: hub, pageSize: 2 }, { Filters })) {
        expect(page.Findings?.length).toBeLessThanOrEqual(2);
        found.push(...(page.Findings ?? []).map((f) => f.Id as string));
      }
      return found;
    };
    const active = { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' as const }] };
    expect(await ids(active)).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(await ids({ ...active, UpdatedAt: [{ End: '2026-01-02T00:00:00.000Z' }] })).toEqual(['p0', 'p1']);
    expect(await ids({ UpdatedAt: [{ Start: '2026-01-04T00:00:00.000Z' }] })).toEqual(['p3', 'p4']);
    expect(
      await ids({
        ResourceId: [{ Value: groupArn('/hub/p'), Comparison: 'PREFIX' }],
        Id: [{ Value: 'p0', Comparison: 'NOT_EQUALS' }],
      }),
    ).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(await ids({ GeneratorId: [{ Value: 'other', Comparison: 'EQUALS' }] })).toEqual([]);
    expect(
      await awsError(hub.send(new GetFindingsCommand({ Filters: { Keyword: [{ Value: 'x' }] } }))),
    ).toMatchObject({
      name: 'InvalidInputException',
    });
    const first = await hub.send(new GetFindingsCommand({ Filters: active, MaxResults: 2 }));
    const changed = { RecordState: [{ Value: 'ARCHIVED', Comparison: 'EQUALS' as const }] };
    expect(
      await awsError(hub.send(new GetFindingsCommand({ Filters: changed, NextToken: first.NextToken }))),
    ).toMatchObject({
      name: 'InvalidInputException',
    });
  });

  it('injects faults by REST operation name, with Security Hub’s status codes', async () => {
    await em.setFaults({ errorRates: { 'securityhub.BatchImportFindings': { LimitExceededException: 1 } } });

    expect(await awsError(put(finding('t', '2026-01-01T00:00:00.000Z')))).toMatchObject({
      name: 'LimitExceededException',
      status: 429,
    });
    await one('t');
    const stats = await em.stats();
    expect(stats.faults).toEqual({ 'securityhub.BatchImportFindings.LimitExceededException': 1 });
    expect(stats.requests).toMatchObject({
      'securityhub.BatchImportFindings': 1,
      'securityhub.GetFindings': 1,
    });
  });
});

describe('process lifecycle', () => {
  it('reads faults from EMULATOR_FAULTS at start, and stop() really kills the process', async () => {
    const faults = { errorRates: { 'logs.DescribeLogGroups': { ServiceUnavailableException: 1 } } };
    const second = await startEmulator({
      env: { EMULATOR_FAULTS: JSON.stringify(faults), EMULATOR_DESCRIBE_INDEX: '0' },
    });
    const client = new CloudWatchLogsClient({
      ...clientConfig(1),
      endpoint: emulatorEnv(second).AWS_ENDPOINT_URL,
    });
    try {
      expect(second.pid).not.toBe(em.pid);
      expect(await awsError(client.send(new DescribeLogGroupsCommand({})))).toMatchObject({ status: 503 });
      expect((await second.describeIndex()).enabled).toBe(false);
      expect(() => process.kill(second.pid, 0)).not.toThrow();
    } finally {
      client.destroy();
      await second.stop();
    }

    expect(() => process.kill(second.pid, 0)).toThrow();
    await second.stop(); // idempotent
  });

  it('explains how to install moto when the Python has none', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emulator-'));
    const python = path.join(dir, 'python-without-moto');
    // -S skips site-packages, so "import moto" fails like on a machine without moto.
    writeFileSync(python, '#!/bin/sh\nexec python3 -S "$@"\n');
    chmodSync(python, 0o755);
    try {
      await expect(startEmulator({ env: { EMULATOR_PYTHON: python } })).rejects.toThrow(MOTO_INSTALL_HINT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports the environment for code under test', () => {
    expect(emulatorEnv(em)).toEqual({
      AWS_ENDPOINT_URL: em.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });
  });
});
