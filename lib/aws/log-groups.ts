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
  ListTagsForResourceCommand,
  paginateDescribeLogGroups,
  type LogGroup as SdkLogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogGroupsPort } from '../ports';
import type { LogGroup, LogGroupPage } from '../types';
import { callAws, toAwsCallError } from './errors';

/** DescribeLogGroups' largest page. */
export const DESCRIBE_PAGE_SIZE = 50;

export function createLogGroupsAdapter(client: CloudWatchLogsClient): LogGroupsPort {
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
