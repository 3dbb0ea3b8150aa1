/**
 * CloudWatch Logs adapter.
 *
 * IAM: logs:DescribeLogGroups
 * IAM: logs:AssociateKmsKey
 * IAM: logs:ListTagsForResource
 */
import {
  AssociateKmsKeyCommand,
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  paginateDescribeLogGroups,
  type LogGroup as SdkLogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogGroupsPort } from '../core/ports';
import type { LogGroup, LogGroupPage } from '../core/types';
import { createPacer, type Pacer } from '../run/pacer';
import { callAws, toAwsCallError } from './errors';

/** DescribeLogGroups' largest page. */
export const DESCRIBE_PAGE_SIZE = 50;

export interface LogGroupsAdapterOptions {
  /** DescribeLogGroups calls per second at most; 0 or absent: unpaced. */
  describeTps?: number;
  /** AssociateKmsKey calls per second at most; 0 or absent: unpaced. */
  associateTps?: number;
}

export function createLogGroupsAdapter(
  client: CloudWatchLogsClient,
  options: LogGroupsAdapterOptions = {},
): LogGroupsPort {
  const pacers: Record<string, Pacer> = {
    DescribeLogGroupsCommand: createPacer(options.describeTps ?? 0),
    AssociateKmsKeyCommand: createPacer(options.associateTps ?? 0),
  };
  // Inside the retry loop, so retries are paced too: AWS counts them against the quota.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await pacers[context.commandName ?? '']?.acquire();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low' },
  );
  return {
    async *scanLogGroups({ logGroupNamePrefix, startingToken }): AsyncIterable<LogGroupPage> {
      const pages = paginateDescribeLogGroups(
        { client, pageSize: DESCRIBE_PAGE_SIZE, ...(startingToken ? { startingToken } : {}) },
        { limit: DESCRIBE_PAGE_SIZE, ...(logGroupNamePrefix ? { logGroupNamePrefix } : {}) },
      );
      try {
        for await (const page of pages) {
          yield {
            groups: (page.logGroups ?? []).flatMap(toLogGroup),
            ...(page.nextToken ? { nextToken: page.nextToken } : {}),
          };
        }
      } catch (error) {
        throw toAwsCallError('DescribeLogGroups', error);
      }
    },

    async findLogGroup(logGroupName) {
      // Names sort before every longer name they prefix, so the exact group, if any, comes first.
      const page = await callAws('DescribeLogGroups', () =>
        client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, limit: 1 })),
      );
      const [first] = (page.logGroups ?? []).flatMap(toLogGroup);
      return first?.logGroupName === logGroupName ? first : undefined;
    },

    async associateKmsKey(logGroupName, keyArn) {
      // The association can take up to 5 minutes to take effect; only later events are encrypted.
      await callAws('AssociateKmsKey', () =>
        client.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: keyArn })),
      );
    },

    async listTags(logGroupArn) {
      const result = await callAws('ListTagsForResource', () =>
        client.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn })),
      );
      return result.tags ?? {};
    },
  };
}

function toLogGroup(group: SdkLogGroup): LogGroup[] {
  if (!group.logGroupName) return [];
  // `arn` ends in ':*'; the encryption context and tagging use the ARN without it.
  const logGroupArn = group.logGroupArn ?? group.arn?.replace(/:\*$/, '') ?? '';
  return [
    {
      logGroupName: group.logGroupName,
      logGroupArn,
      ...(group.kmsKeyId ? { kmsKeyId: group.kmsKeyId } : {}),
      ...(group.logGroupClass ? { logGroupClass: group.logGroupClass } : {}),
    },
  ];
}
