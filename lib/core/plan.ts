/**
 * Pure: decide what to do with one scanned group, before any per-group AWS call.
 * Decisions are tagged so the orchestrator handles every case and the report writes itself.
 */
import type { ExcludeTag } from './config';
import { checkGroupAgainstPolicy, type KeyAssessment } from './key-check';
import type { PatternSet } from './patterns';
import type { ExcludeReason, LogGroup } from './types';

export interface Scope {
  include: PatternSet;
  exclude: PatternSet;
}

export type Decision =
  | { action: 'count-encrypted' }
  | { action: 'exclude'; reason: ExcludeReason }
  | {
      action: 'skip';
      reason: 'delivery-class' | 'key-unusable' | 'key-unchecked' | 'key-policy-scope';
      message: string;
    }
  /** A candidate: the exclude tag (if any), the cap and the dry-run switch still apply. */
  | { action: 'remediate' };

export function decideGroup(group: LogGroup, scope: Scope, key: KeyAssessment): Decision {
  if (group.kmsKeyId) return { action: 'count-encrypted' };
  if (scope.include.patterns.length > 0 && !scope.include.matches(group.logGroupName)) {
    return { action: 'exclude', reason: 'include-patterns' };
  }
  if (scope.exclude.matches(group.logGroupName)) return { action: 'exclude', reason: 'exclude-patterns' };
  if (group.logGroupClass === 'DELIVERY') {
    // DELIVERY-class groups are written by AWS services for delivery only and do not support KMS association.
    return {
      action: 'skip',
      reason: 'delivery-class',
      message: 'DELIVERY-class log groups cannot be associated with a KMS key.',
    };
  }
  if (key.report.problems.some((p) => p.code === 'KEY_LOOKUP_FAILED')) {
    return {
      action: 'skip',
      reason: 'key-unchecked',
      message: 'The key could not be checked this time (see KEY_LOOKUP_FAILED); nothing was changed.',
    };
  }
  if (!key.usable) {
    return {
      action: 'skip',
      reason: 'key-unusable',
      message: 'The key cannot be used; see the key problems.',
    };
  }
  const policy = checkGroupAgainstPolicy(key, group.logGroupArn);
  if (!policy.allowed) return { action: 'skip', reason: 'key-policy-scope', message: policy.message };
  return { action: 'remediate' };
}

/** True when the group's tags carry the exclude tag (any value, or the given one). */
export function hasExcludeTag(tags: Readonly<Record<string, string>>, excludeTag: ExcludeTag): boolean {
  if (!Object.hasOwn(tags, excludeTag.key)) return false;
  return excludeTag.value === undefined || tags[excludeTag.key] === excludeTag.value;
}
