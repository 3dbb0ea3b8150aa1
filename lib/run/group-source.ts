/**
 * Step 2: where the groups come from. A paged scan of the account (from the start, or from where
 * an earlier invocation stopped), or the one group a CloudTrail event names.
 */
import type { RunRequest } from '../core/event';
import type { Ports } from '../core/ports';
import type { LogGroupPage } from '../core/types';
import { prefetch } from './prefetch';

/**
 * DescribeLogGroups pages read ahead of the decisions, so scanning overlaps the associations.
 * Few: pages read ahead of a deadline are dropped and read again by the next invocation.
 */
export const PREFETCH_PAGES = 3;

/** A page, plus groups that were expected and are gone (the created group, deleted since). */
export interface SourcePage extends LogGroupPage {
  vanished?: string[];
}

/**
 * Reading ahead stops this long before the deadline margin: a page read ahead of a deadline is
 * dropped and read again by the next invocation, a wasted call against a 5-per-second quota.
 */
export const READ_AHEAD_LEAD_MS = 5_000;

export function openGroupSource(
  request: RunRequest,
  ports: Ports,
  nearDeadline: () => boolean = () => false,
): AsyncIterable<SourcePage> {
  if (request.createdLogGroup) return findCreatedGroup(ports, request.createdLogGroup.logGroupName);
  const startingToken = request.resumeFrom?.pageToken;
  return prefetch(
    ports.logGroups.scanLogGroups({
      ...(request.logGroupNamePrefix ? { logGroupNamePrefix: request.logGroupNamePrefix } : {}),
      ...(startingToken ? { startingToken } : {}),
    }),
    PREFETCH_PAGES,
    () => !nearDeadline(),
  );
}

/** The created group as it is now, found with a single DescribeLogGroups call. */
async function* findCreatedGroup(ports: Ports, logGroupName: string): AsyncIterable<SourcePage> {
  const group = await ports.logGroups.findLogGroup(logGroupName);
  yield group ? { groups: [group] } : { groups: [], vanished: [logGroupName] };
}
