/**
 * Seeds an emulated AWS account with the real SDK clients: keys, log groups, a report topic
 * with a queue subscribed. Shared by the integration tests, the demo and the benchmark.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  type KeySpec,
  type KeyUsageType,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildLogsPolicyStatement, LOGS_ARN_CONTEXT_KEY } from '../../lib/core/key-policy';
import type { Report } from '../../lib/core/types';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface SeedClients {
  logs: CloudWatchLogsClient;
  kms: KMSClient;
  sns: SNSClient;
  sqs: SQSClient;
}

export function seedClients(endpoint: string, region = REGION): SeedClients {
  const config = { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  return {
    logs: new CloudWatchLogsClient(config),
    kms: new KMSClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
}

/** A key policy: the account root, plus CloudWatch Logs for groups matching `groupPattern` (none when null). */
export function keyPolicy(groupPattern: string | null = '*', region = REGION, account = ACCOUNT): string {
  const statements: object[] = [
    {
      Sid: 'EnableRootAccess',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ];
  if (groupPattern !== null) {
    const statement = buildLogsPolicyStatement({ partition: 'aws', region, account });
    statements.push({
      ...statement,
      Condition: {
        ArnLike: { [LOGS_ARN_CONTEXT_KEY]: `arn:aws:logs:${region}:${account}:log-group:${groupPattern}` },
      },
    });
  }
  return JSON.stringify({ Version: '2012-10-17', Id: 'key-policy', Statement: statements });
}

export interface KeyOptions {
  policy?: string;
  alias?: string;
  keySpec?: KeySpec;
  keyUsage?: KeyUsageType;
  rotation?: boolean;
  state?: 'Enabled' | 'Disabled' | 'PendingDeletion';
}

/** Create a key and return its ARN. */
export async function createKey(kms: KMSClient, options: KeyOptions = {}): Promise<string> {
  const created = await kms.send(
    new CreateKeyCommand({
      Policy: options.policy ?? keyPolicy(),
      KeySpec: options.keySpec ?? 'SYMMETRIC_DEFAULT',
      KeyUsage: options.keyUsage ?? 'ENCRYPT_DECRYPT',
      Description: 'logs-kms-remediator test key',
    }),
  );
  const arn = created.KeyMetadata?.Arn as string;
  if (options.alias) await kms.send(new CreateAliasCommand({ AliasName: options.alias, TargetKeyId: arn }));
  if (options.rotation ?? true) {
    if ((options.keySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT') {
      await kms.send(new EnableKeyRotationCommand({ KeyId: arn }));
    }
  }
  if (options.state === 'Disabled') await kms.send(new DisableKeyCommand({ KeyId: arn }));
  if (options.state === 'PendingDeletion') {
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
  }
  return arn;
}

export interface GroupOptions {
  kmsKeyId?: string;
  logGroupClass?: 'STANDARD' | 'INFREQUENT_ACCESS' | 'DELIVERY';
  tags?: Record<string, string>;
}

export async function createGroups(
  logs: CloudWatchLogsClient,
  names: readonly string[],
  options: GroupOptions = {},
): Promise<void> {
  // A few at a time: fast, without flooding the emulator.
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(
      names.slice(i, i + 16).map((logGroupName) =>
        logs.send(
          new CreateLogGroupCommand({
            logGroupName,
            ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
            ...(options.logGroupClass ? { logGroupClass: options.logGroupClass } : {}),
            ...(options.tags ? { tags: options.tags } : {}),
          }),
        ),
      ),
    );
  }
}

/** Every group's key, by name (undefined when unencrypted). */
export async function readGroupKeys(logs: CloudWatchLogsClient): Promise<Map<string, string | undefined>> {
  const keys = new Map<string, string | undefined>();
  for await (const page of paginateDescribeLogGroups({ client: logs }, { limit: 50 })) {
    for (const g of page.logGroups ?? []) keys.set(g.logGroupName as string, g.kmsKeyId);
  }
  return keys;
}

export async function readGroupKey(logs: CloudWatchLogsClient, name: string): Promise<string | undefined> {
  const result = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return result.logGroups?.find((g) => g.logGroupName === name)?.kmsKeyId;
}

export interface ReportTopic {
  topicArn: string;
  queueUrl: string;
}

/** Create the report topic and subscribe a queue to it, as a subscriber of the reports would. */
export async function createReportTopic(
  clients: Pick<SeedClients, 'sns' | 'sqs'>,
  name = 'logs-kms-remediator-reports',
): Promise<ReportTopic> {
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: name }));
  const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }));
  const queueUrl = queue.QueueUrl as string;
  const topicArn = topic.TopicArn as string;
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}-inbox`,
    }),
  );
  return { topicArn, queueUrl };
}

export interface ReceivedReport {
  subject: string;
  attributes: Record<string, string>;
  /** The `sqs` rendering: the JSON report. */
  report: Report;
}

/** Drain the queue of report notifications (SNS envelopes, not raw delivery). */
export async function receiveReports(sqs: SQSClient, queueUrl: string): Promise<ReceivedReport[]> {
  const received: ReceivedReport[] = [];
  for (;;) {
    const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!batch.Messages?.length) return received;
    for (const message of batch.Messages) {
      const envelope = JSON.parse(message.Body as string) as {
        Subject: string;
        Message: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      received.push({
        subject: envelope.Subject,
        attributes: Object.fromEntries(
          Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
        report: JSON.parse(envelope.Message) as Report,
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}
