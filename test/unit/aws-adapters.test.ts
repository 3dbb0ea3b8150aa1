import {
  AssociateKmsKeyCommand,
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  AccessDeniedException as LogsAccessDenied,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  MalformedPolicyDocumentException,
  NotFoundException,
  PutKeyPolicyCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient, NotFoundException as SnsNotFound } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { toAwsCallError } from '../../lib/aws/errors';
import { createKeyPolicyWriter } from '../../lib/aws/key-policy-writer';
import { createKeysAdapter } from '../../lib/aws/kms';
import { createLogGroupsAdapter } from '../../lib/aws/log-groups';
import { createSecurityHubAdapter } from '../../lib/aws/security-hub';
import { createReportsAdapter } from '../../lib/aws/sns';
import { AwsCallError } from '../../lib/core/errors';
import { KEY_ARN } from '../support/fakes';

const meta = { $metadata: {} };
const logsMock = mockClient(CloudWatchLogsClient);
const kmsMock = mockClient(KMSClient);
const snsMock = mockClient(SNSClient);

beforeEach(() => {
  logsMock.reset();
  kmsMock.reset();
  snsMock.reset();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('log groups adapter', () => {
  const adapter = () => createLogGroupsAdapter(new CloudWatchLogsClient({ region: 'us-east-1' }));

  it('pages with the paginator, 50 at a time, and maps groups', async () => {
    // Prepare: wider matcher first, then the pages in order.
    logsMock
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({
        logGroups: [
          { logGroupName: '/a', arn: 'arn:aws:logs:us-east-1:1:log-group:/a:*', logGroupClass: 'STANDARD' },
          { logGroupName: '/b', logGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/b', kmsKeyId: KEY_ARN },
        ],
        nextToken: 't1',
      })
      .resolvesOnce({ logGroups: [{ logGroupName: '/c', arn: 'arn:aws:logs:us-east-1:1:log-group:/c:*' }] });

    // Act
    const pages = await collect(adapter().scanLogGroups({ logGroupNamePrefix: '/' }));

    // Assess
    expect(pages).toEqual([
      {
        groups: [
          {
            logGroupName: '/a',
            logGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/a',
            logGroupClass: 'STANDARD',
          },
          { logGroupName: '/b', logGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/b', kmsKeyId: KEY_ARN },
        ],
        nextToken: 't1',
      },
      { groups: [{ logGroupName: '/c', logGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/c' }] },
    ]);
    // The paginator reuses one input object across pages, so only the last state is observable.
    const inputs = logsMock.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[1]).toEqual({ limit: 50, logGroupNamePrefix: '/', nextToken: 't1' });
  });

  it('starts from a token when asked to', async () => {
    logsMock.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    await collect(adapter().scanLogGroups({ startingToken: 'resume-here' }));
    expect(logsMock.commandCalls(DescribeLogGroupsCommand)[0]?.args[0].input).toMatchObject({
      nextToken: 'resume-here',
    });
  });

  it('maps a scan failure to AwsCallError', async () => {
    logsMock
      .on(DescribeLogGroupsCommand)
      .rejects(new ServiceUnavailableException({ message: 'down', ...meta }));
    await expect(collect(adapter().scanLogGroups({}))).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'DescribeLogGroups',
      kind: 'throttled',
      code: 'ServiceUnavailableException',
    });
  });

  it('associates by group name with the key ARN', async () => {
    logsMock.on(AssociateKmsKeyCommand).resolves({});
    await adapter().associateKmsKey('/a', KEY_ARN);
    expect(logsMock.commandCalls(AssociateKmsKeyCommand)[0]?.args[0].input).toEqual({
      logGroupName: '/a',
      kmsKeyId: KEY_ARN,
    });
  });

  it.each([
    [new ResourceNotFoundException({ message: 'gone', ...meta }), 'not-found', 'ResourceNotFoundException'],
    [
      new LogsAccessDenied({ message: 'The specified KMS key does not exist', ...meta }),
      'access-denied',
      'AccessDeniedException',
    ],
    [
      new InvalidParameterException({ message: 'bad key', ...meta }),
      'invalid-parameter',
      'InvalidParameterException',
    ],
  ])('maps an AssociateKmsKey error to kind %#', async (error, kind, code) => {
    logsMock.on(AssociateKmsKeyCommand).rejects(error);
    const failure = await adapter()
      .associateKmsKey('/a', KEY_ARN)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'AssociateKmsKey',
      kind,
      code,
      awsMessage: error.message,
      cause: error,
    });
  });

  it('reads tags by group ARN', async () => {
    logsMock.on(ListTagsForResourceCommand).resolves({ tags: { team: 'db' } });
    await expect(adapter().listTags('arn:aws:logs:us-east-1:1:log-group:/a')).resolves.toEqual({
      team: 'db',
    });
    expect(logsMock.commandCalls(ListTagsForResourceCommand)[0]?.args[0].input).toEqual({
      resourceArn: 'arn:aws:logs:us-east-1:1:log-group:/a',
    });
  });
});

describe('keys adapter', () => {
  const adapter = () => createKeysAdapter(new KMSClient({ region: 'us-east-1' }));
  const metadata = {
    Arn: KEY_ARN,
    KeyId: 'k',
    KeyState: 'Enabled' as const,
    KeySpec: 'SYMMETRIC_DEFAULT' as const,
    KeyUsage: 'ENCRYPT_DECRYPT' as const,
    KeyManager: 'CUSTOMER' as const,
  };

  it('gathers the facts in three calls, addressing the key by its ARN after DescribeKey', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: metadata });
    kmsMock.on(GetKeyPolicyCommand).resolves({ Policy: '{"Statement":[]}' });
    kmsMock.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });

    const facts = await adapter().readKeyFacts('alias/logs');

    expect(facts).toEqual({
      found: true,
      requested: 'alias/logs',
      arn: KEY_ARN,
      state: 'Enabled',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      keyManager: 'CUSTOMER',
      rotationEnabled: false,
      policy: { readable: true, document: '{"Statement":[]}' },
    });
    expect(kmsMock.calls()).toHaveLength(3);
    expect(kmsMock.commandCalls(GetKeyPolicyCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ARN,
      PolicyName: 'default',
    });
  });

  it('reports a missing key as a fact, with one call', async () => {
    kmsMock.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'Alias not found', ...meta }));
    await expect(adapter().readKeyFacts('alias/none')).resolves.toEqual({
      found: false,
      requested: 'alias/none',
      errorCode: 'NotFoundException',
      message: 'Alias not found',
      transient: false,
    });
    expect(kmsMock.calls()).toHaveLength(1);
  });

  it.each([
    ['throttled', 'ThrottlingException', 400, true],
    ['a KMS fault', 'KMSInternalException', 500, true],
    ['a dependency timeout', 'DependencyTimeoutException', 503, true],
    ['denied', 'AccessDeniedException', 400, false],
  ])(
    'marks a lookup that was %s as transient only when it says nothing about the key',
    async (_c, name, status, transient) => {
      kmsMock
        .on(DescribeKeyCommand)
        .rejects(Object.assign(new Error('no'), { name, $metadata: { httpStatusCode: status } }));
      await expect(adapter().readKeyFacts('alias/k')).resolves.toMatchObject({
        found: false,
        errorCode: name,
        transient,
      });
    },
  );

  it('marks the policy unreadable and the rotation unknown when KMS refuses them', async () => {
    const denied = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $metadata: {},
    });
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: metadata });
    kmsMock.on(GetKeyPolicyCommand).rejects(denied);
    kmsMock
      .on(GetKeyRotationStatusCommand)
      .rejects(new UnsupportedOperationException({ message: 'asymmetric', ...meta }));

    const facts = await adapter().readKeyFacts(KEY_ARN);

    expect(facts).toMatchObject({
      found: true,
      rotationEnabled: undefined,
      policy: { readable: false, errorCode: 'AccessDeniedException', message: 'not authorized' },
    });
  });
});

describe('key policy writer (the CLI only)', () => {
  it('puts the default policy with the lockout safety check on', async () => {
    kmsMock.on(PutKeyPolicyCommand).resolves(meta);

    await createKeyPolicyWriter(new KMSClient({ region: 'us-east-1' })).putKeyPolicy(
      KEY_ARN,
      '{"Statement":[]}',
    );

    expect(kmsMock.commandCalls(PutKeyPolicyCommand).map((c) => c.args[0].input)).toEqual([
      {
        KeyId: KEY_ARN,
        PolicyName: 'default',
        Policy: '{"Statement":[]}',
        BypassPolicyLockoutSafetyCheck: false,
      },
    ]);
  });

  it('maps a refusal of the lockout check to an AwsCallError with its code', async () => {
    kmsMock.on(PutKeyPolicyCommand).rejects(
      new MalformedPolicyDocumentException({
        message: 'The new key policy will not allow you to update the key policy in the future.',
        ...meta,
      }),
    );

    const writer = createKeyPolicyWriter(new KMSClient({ region: 'us-east-1', maxAttempts: 1 }));

    await expect(writer.putKeyPolicy(KEY_ARN, '{}')).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'PutKeyPolicy',
      code: 'MalformedPolicyDocumentException',
    });
  });
});

describe('reports adapter', () => {
  it('publishes with MessageStructure json and string attributes', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    const adapter = createReportsAdapter(new SNSClient({ region: 'us-east-1' }));
    await adapter.publishReport({
      topicArn: 'arn:t',
      subject: 's',
      message: '{"default":"x"}',
      attributes: { status: 'compliant' },
    });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: 'arn:t',
      Subject: 's',
      MessageStructure: 'json',
      Message: '{"default":"x"}',
      MessageAttributes: { status: { DataType: 'String', StringValue: 'compliant' } },
    });
  });

  it('maps a publish failure to AwsCallError', async () => {
    snsMock.on(PublishCommand).rejects(new SnsNotFound({ message: 'Topic does not exist', ...meta }));
    const adapter = createReportsAdapter(new SNSClient({ region: 'us-east-1' }));
    await expect(
      adapter.publishReport({ topicArn: 'arn:t', subject: 's', message: '{}', attributes: {} }),
    ).rejects.toMatchObject({ name: 'AwsCallError', kind: 'not-found', code: 'NotFoundException' });
  });
});

describe('security hub adapter', () => {
  const hubMock = mockClient(SecurityHubClient);
  const findings = [
    { Id: 'a', ProductArn: 'arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default' },
    { Id: 'b', ProductArn: 'arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default' },
  ];
  beforeEach(() => hubMock.reset());

  it.each<[string, object, boolean]>([
    ['every finding processed', { ProcessedFindings: findings, UnprocessedFindings: [] }, false],
    [
      'a finding left unprocessed',
      {
        ProcessedFindings: [findings[0]],
        UnprocessedFindings: [
          { FindingIdentifier: findings[1], ErrorCode: 'FindingNotFound', ErrorMessage: 'no such finding' },
        ],
      },
      true,
    ],
  ])('setWorkflowStatus: %s', async (_label, answer, throws) => {
    hubMock.on(BatchUpdateFindingsCommand).resolves({ ...answer, ...meta } as never);
    const adapter = createSecurityHubAdapter(new SecurityHubClient({ region: 'us-east-1' }));
    const call = adapter.setWorkflowStatus(findings as never, 'RESOLVED');
    if (throws) {
      // A 200 that leaves findings behind is a failure, named: the findings function reports it.
      await expect(call).rejects.toMatchObject({
        name: 'AwsCallError',
        operation: 'BatchUpdateFindings',
        code: 'FindingNotFound',
        awsMessage: expect.stringContaining('1 of 2 findings were not set to RESOLVED'),
      });
    } else {
      await expect(call).resolves.toBeUndefined();
    }
  });
});

describe('toAwsCallError', () => {
  it.each([
    [{ name: 'ThrottlingException', message: 'slow' }, 'throttled'],
    [{ name: 'OperationAbortedException', message: 'busy' }, 'throttled'],
    [{ name: 'WeirdException', message: 'x', $metadata: { httpStatusCode: 502 } }, 'throttled'],
    [{ name: 'WeirdException', message: 'x', $metadata: { httpStatusCode: 400 } }, 'other'],
    [new Error('socket hang up'), 'other'],
  ])('classifies %j as %s', (error, kind) => {
    expect(toAwsCallError('Op', error).kind).toBe(kind);
  });
});
