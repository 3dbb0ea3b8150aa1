/**
 * Pure: decide what to do with one scanned group, before any per-group AWS call.
 * Decisions are tagged so the orchestrator handles every case and the report writes itself.
 */
import type { ExcludeTag, OtherKeysMode, UnhealthyKeysMode } from './config';
import type { GroupKeyVerdict } from './key-audit';
import { checkGroupAgainstPolicy, type KeyAssessment } from './key-check';
import type { PatternSet } from './patterns';
import type { ExcludeReason, GroupOutcome, LogGroup, MoveFrom, ReassociateReason } from './types';

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
      /** An encrypted group that was to move to the target key: the key it stays on. */
      from?: MoveFrom;
    }
  /** An encrypted group the report lists, with nothing to change: at risk, on another key, or unknown. */
  | {
      action: 'report-key';
      outcome: Extract<GroupOutcome, { outcome: 'at-risk' | 'other-key' | 'unverified' }>;
    }
  /** A candidate: the exclude tag (if any), the cap and the dry-run switch still apply. */
  | { action: 'remediate' }
  /** An encrypted group to move to the target key; the same rules apply as to a candidate. */
  | { action: 'reassociate'; kmsKeyId: string; reason: ReassociateReason };

/** What to do with groups that are already encrypted, and what the audit found of their keys. */
export interface KeyRules {
  /** The target key's ARN, when it is known. */
  targetArn: string | undefined;
  otherKeys: OtherKeysMode;
  unhealthyKeys: UnhealthyKeysMode;
  /** The audit's verdict on the group's key; undefined when the audit is off. */
  verdictFor(group: LogGroup, kmsKeyId: string): GroupKeyVerdict | undefined;
}

/** Before the audit: every encrypted group counts as compliant. */
export const TRUST_ENCRYPTED: KeyRules = {
  targetArn: undefined,
  otherKeys: 'allow',
  unhealthyKeys: 'report',
  verdictFor: () => undefined,
};

export function decideGroup(
  group: LogGroup,
  scope: Scope,
  key: KeyAssessment,
  rules: KeyRules = TRUST_ENCRYPTED,
): Decision {
  const encrypted = group.kmsKeyId ? decideEncrypted(group, group.kmsKeyId, scope, rules) : undefined;
  if (encrypted && encrypted.action !== 'reassociate') return encrypted;
  if (!encrypted) {
    const excluded = excludeByPattern(group, scope);
    if (excluded) return excluded;
    if (group.logGroupClass === 'DELIVERY') {
      // DELIVERY-class groups are written by AWS services for delivery only and do not support KMS association.
      return {
        action: 'skip',
        reason: 'delivery-class',
        message: 'DELIVERY-class log groups cannot be associated with a KMS key.',
      };
    }
  }
  const blocked = checkTargetKey(group, key);
  if (blocked && encrypted)
    return { ...blocked, from: { kmsKeyId: encrypted.kmsKeyId, reason: encrypted.reason } };
  return blocked ?? encrypted ?? { action: 'remediate' };
}

function decideEncrypted(group: LogGroup, kmsKeyId: string, scope: Scope, rules: KeyRules): Decision {
  const onTarget = kmsKeyId === rules.targetArn;
  // With the audit off, an encrypted group is trusted as before.
  const verdict = rules.verdictFor(group, kmsKeyId) ?? { verdict: 'healthy' };
  if (verdict.verdict === 'healthy' && (onTarget || rules.otherKeys === 'allow'))
    return { action: 'count-encrypted' };
  const excluded = excludeByPattern(group, scope);
  if (excluded) return excluded;
  const { logGroupName } = group;
  switch (verdict.verdict) {
    case 'unverified':
      return {
        action: 'report-key',
        outcome: {
          outcome: 'unverified',
          logGroupName,
          reason: 'key-unreadable',
          message: verdict.message,
          kmsKeyId,
        },
      };
    case 'at-risk':
      if (rules.unhealthyKeys === 'reassociate' && !onTarget) {
        return { action: 'reassociate', kmsKeyId, reason: verdict.reason };
      }
      return {
        action: 'report-key',
        outcome: {
          outcome: 'at-risk',
          logGroupName,
          reason: verdict.reason,
          message: verdict.message,
          kmsKeyId,
        },
      };
    case 'healthy': {
      if (rules.otherKeys === 'reassociate')
        return { action: 'reassociate', kmsKeyId, reason: 'not-target-key' };
      const message = `The group is encrypted with ${kmsKeyId}, not the target key${rules.targetArn ? ` ${rules.targetArn}` : ''}.`;
      return {
        action: 'report-key',
        outcome: { outcome: 'other-key', logGroupName, reason: 'not-target-key', message, kmsKeyId },
      };
    }
  }
}

function excludeByPattern(group: LogGroup, scope: Scope): Decision | undefined {
  if (scope.include.patterns.length > 0 && !scope.include.matches(group.logGroupName)) {
    return { action: 'exclude', reason: 'include-patterns' };
  }
  if (scope.exclude.matches(group.logGroupName)) return { action: 'exclude', reason: 'exclude-patterns' };
  return undefined;
}

/** Why the target key may not be associated with this group; undefined when it may. */
function checkTargetKey(
  group: LogGroup,
  key: KeyAssessment,
): Extract<Decision, { action: 'skip' }> | undefined {
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
  return undefined;
}

/** True when the group's tags carry the exclude tag (any value, or the given one). */
export function hasExcludeTag(tags: Readonly<Record<string, string>>, excludeTag: ExcludeTag): boolean {
  if (!Object.hasOwn(tags, excludeTag.key)) return false;
  return excludeTag.value === undefined || tags[excludeTag.key] === excludeTag.value;
}
