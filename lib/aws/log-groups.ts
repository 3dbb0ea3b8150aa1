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
import { isThrottlingError } from '@smithy/core/retry';
import type { Config } from '../core/config';
import type { LogGroupsPort } from '../core/ports';
import type { LogGroup, LogGroupPage } from '../core/types';
import { type AdaptivePacer, createAdaptivePacer, createPacer, type Pacer } from '../run/pacer';
import { callAws, toAwsCallError } from './errors';

/** DescribeLogGroups' largest page. */
export const DESCRIBE_PAGE_SIZE = 50;
/** AWS publishes no AssociateKmsKey quota: a ceiling ten times that of its documented siblings. */
export const DEFAULT_ASSOCIATE_TPS_MAX = 50;

export interface LogGroupsAdapterOptions {
  /** DescribeLogGroups calls per second, fixed (AWS documents 5); 0 or absent: unpaced. */
  describeTps?: number;
  /** AssociateKmsKey calls per second to start at; 0 or absent: unpaced. */
  associateTps?: number;
  /** The most AssociateKmsKey calls per second the pace may reach (default 50). */
  associateTpsMax?: number;
  /** The pace to use for AssociateKmsKey instead of a new one: one pace for every adapter of the container. */
  associatePacer?: AdaptivePacer;
}

/** The adapter as the configuration sets it: DescribeLogGroups at its fixed pace, associations adaptive. */
export function createLogGroupsAdapterFor(
  client: CloudWatchLogsClient,
  config: Pick<Config, 'describeLogGroupsTps' | 'associateTps' | 'associateTpsMax'>,
): LogGroupsPort {
  return createLogGroupsAdapter(client, {
    describeTps: config.describeLogGroupsTps,
    associateTps: config.associateTps,
    associateTpsMax: config.associateTpsMax,
  });
}

export function createLogGroupsAdapter(
  client: CloudWatchLogsClient,
  options: LogGroupsAdapterOptions = {},
): LogGroupsPort {
  const associate = options.associatePacer ?? associatePacerFor(options);
  const takeThrottles = paceCalls(client, createPacer(options.describeTps ?? 0), associate);
  return {
    readPace() {
      const reading = associate?.read();
      const throttles = takeThrottles();
      return { associateTpsReached: Math.round((reading?.tpsReached ?? 0) * 10) / 10, throttles };
    },

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

/**
 * Pace DescribeLogGroups and AssociateKmsKey, and feed AssociateKmsKey's outcomes to its pace.
 * Answers a function that takes the AssociateKmsKey throttles seen since it was last called.
 */
function paceCalls(
  client: CloudWatchLogsClient,
  describe: Pacer,
  associate: AdaptivePacer | undefined,
): () => number {
  const pacers: Record<string, Pacer | undefined> = {
    DescribeLogGroupsCommand: describe,
    AssociateKmsKeyCommand: associate,
  };
  let throttles = 0;
  // Inside the retry loop, so retries are paced, and their throttles seen: AWS counts them against the quota.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const isAssociate = context.commandName === 'AssociateKmsKeyCommand';
      await pacers[context.commandName ?? '']?.acquire();
      try {
        const output = await next(args);
        if (isAssociate) associate?.succeeded();
        return output;
      } catch (error) {
        // The SDK's own classification: ThrottlingException and its kin, HTTP 429, or a throttling trait.
        if (
          isAssociate &&
          error instanceof Error &&
          isThrottlingError(error as Parameters<typeof isThrottlingError>[0])
        ) {
          throttles++;
          associate?.throttled();
        }
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low' },
  );
  return () => {
    const seen = throttles;
    throttles = 0;
    return seen;
  };
}

function associatePacerFor(options: LogGroupsAdapterOptions): AdaptivePacer | undefined {
  const startTps = options.associateTps ?? 0;
  if (startTps <= 0) return undefined;
  return createAdaptivePacer({ startTps, maxTps: options.associateTpsMax ?? DEFAULT_ASSOCIATE_TPS_MAX });
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
