/**
 * Steps 2 to 4 in motion: walk the source's pages, decide each group (pure), hand candidates to
 * the applier through a bounded pool, and stop before the deadline at a position a later
 * invocation can resume from. A scan that fails after the SDK's retries ends the walk; what was
 * scanned is still accounted for.
 */
import { AwsCallError } from '../core/errors';
import type { Decision } from '../core/plan';
import type { ScanPosition } from '../core/resume-token';
import type { LogGroup } from '../core/types';
import type { Candidate } from './apply';
import type { SourcePage } from './group-source';
import type { Pool } from './pool';
import type { Recorder } from './record';

export interface WalkSteps {
  /** Read what deciding this page needs (the keys its groups are on). Never throws. */
  prepare?(groups: readonly LogGroup[]): Promise<void>;
  decide(group: LogGroup): Decision;
  apply(group: LogGroup, candidate: Candidate): Promise<void>;
  outOfTime(): boolean;
}

export interface WalkResult {
  alreadyEncrypted: number;
  /** Where the walk stopped before its end, for a resume token. */
  stoppedAt?: ScanPosition;
  scanError?: AwsCallError;
}

export async function walkGroups(
  pages: AsyncIterable<SourcePage>,
  start: ScanPosition | undefined,
  steps: WalkSteps,
  deps: { pool: Pool; recorder: Recorder },
): Promise<WalkResult> {
  const result: WalkResult = { alreadyEncrypted: 0 };
  let pageToken = start?.pageToken;
  // The resumed page's groups up to this name were accounted for by the invocation before.
  let after = start?.after;
  try {
    for await (const page of pages) {
      for (const name of page.vanished ?? []) recordVanished(deps.recorder, name);
      const stopIndex = await walkPage(page, after, steps, deps, result);
      if (stopIndex !== undefined) {
        result.stoppedAt = {
          ...(pageToken ? { pageToken } : {}),
          ...lastAccounted(page.groups[stopIndex - 1], after),
        };
        break;
      }
      after = undefined;
      pageToken = page.nextToken;
      if (pageToken && steps.outOfTime()) {
        result.stoppedAt = { pageToken };
        break;
      }
    }
  } catch (error) {
    result.scanError =
      error instanceof AwsCallError
        ? error
        : new AwsCallError('DescribeLogGroups', 'other', 'Error', String(error));
  }
  await deps.pool.drain();
  return result;
}

/** Walk one page; the index of the first group not reached when time ran out, else undefined. */
async function walkPage(
  page: SourcePage,
  after: string | undefined,
  steps: WalkSteps,
  deps: { pool: Pool; recorder: Recorder },
  result: WalkResult,
): Promise<number | undefined> {
  const { record } = deps.recorder;
  await steps.prepare?.(page.groups);
  for (const [index, group] of page.groups.entries()) {
    if (after !== undefined && group.logGroupName <= after) continue;
    if (steps.outOfTime()) {
      for (const left of page.groups.slice(index)) {
        record({ outcome: 'not-reached', logGroupName: left.logGroupName, reason: 'deadline' });
      }
      return index;
    }
    const decision = steps.decide(group);
    const { logGroupName } = group;
    switch (decision.action) {
      case 'count-encrypted':
        result.alreadyEncrypted++;
        break;
      case 'exclude':
        record({ outcome: 'excluded', logGroupName, reason: decision.reason });
        break;
      case 'skip':
        record({
          outcome: 'skipped',
          logGroupName,
          reason: decision.reason,
          message: decision.message,
          ...(decision.from ? { from: decision.from } : {}),
        });
        break;
      case 'report-key':
        record(decision.outcome);
        break;
      case 'remediate':
      case 'reassociate':
        await deps.pool.run(() => steps.apply(group, decision));
        break;
    }
  }
  return undefined;
}

function recordVanished(recorder: Recorder, logGroupName: string): void {
  recorder.record({
    outcome: 'skipped',
    logGroupName,
    reason: 'group-deleted',
    message: 'The log group no longer exists: it was deleted after it was created.',
  });
}

/** Where a stopped page resumes: after its last group accounted for, which may be one skipped as done. */
function lastAccounted(previous: LogGroup | undefined, after: string | undefined): { after?: string } {
  const name = previous?.logGroupName;
  if (name === undefined) return after === undefined ? {} : { after };
  return { after: after !== undefined && after > name ? after : name };
}
