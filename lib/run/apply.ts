/**
 * Step 4: apply the decision for a candidate group: the exclude tag, the cap on remediations, the
 * key's health, the dry-run switch, and the association itself. Never throws: every candidate
 * ends in exactly one recorded outcome.
 */
import { classifyGroupFailure } from '../core/classify-failure';
import type { Config } from '../core/config';
import type { KeyAssessment } from '../core/key-check';
import { logsServicePrincipal } from '../core/key-policy';
import { type Decision, hasExcludeTag } from '../core/plan';
import type { Ports } from '../core/ports';
import type { RunIntent } from '../core/resume-token';
import type { GroupOutcome, LogGroup } from '../core/types';
import type { KeyHealth } from './key-health';
import type { Recorder } from './record';

/** What the applier is asked to do: encrypt a group, or move an encrypted one to the target key. */
export type Candidate = Extract<Decision, { action: 'remediate' | 'reassociate' }>;

export interface Applier {
  apply(group: LogGroup, candidate?: Candidate): Promise<void>;
  /** Remediations used so far (would-be ones in a dry run included). */
  reserved(): number;
  /** Whether the key policy refused some association: the report then offers the key-policy fix. */
  keyPolicyDenied(): boolean;
}

export function createApplier(
  deps: { config: Readonly<Config>; ports: Ports; key: KeyAssessment; health: KeyHealth; recorder: Recorder },
  intent: RunIntent,
): Applier {
  const { config, ports, key, health, recorder } = deps;
  let reserved = 0;
  let keyPolicyDenied = false;

  const decideAndCall = async (
    group: LogGroup,
    candidate: Candidate,
    record: RecordOutcome,
  ): Promise<void> => {
    const { logGroupName } = group;
    if (config.excludeTag) {
      // Tags cost a call per group, so they are read only for groups that would otherwise change.
      const tags = await ports.logGroups.listTags(group.logGroupArn);
      if (hasExcludeTag(tags, config.excludeTag)) {
        return record({ outcome: 'excluded', logGroupName, reason: 'exclude-tag' });
      }
    }
    if (intent.remediationsLeft !== undefined && reserved >= intent.remediationsLeft) {
      return record({ outcome: 'not-reached', logGroupName, reason: 'max-remediations' });
    }
    if (health.wentBad()) {
      return record({ outcome: 'skipped', logGroupName, reason: 'key-unusable', message: health.reason() });
    }
    reserved++;
    if (intent.dryRun) return record(doneOutcome(group, candidate, true, config.region));
    // CloudWatch Logs needs the key ARN here: a key id or an alias is rejected. Associating a key
    // "overrides any existing associations" (AssociateKmsKey, CloudWatch Logs API Reference).
    await ports.logGroups.associateKmsKey(logGroupName, key.keyArn as string);
    health.succeeded();
    record(doneOutcome(group, candidate, false, config.region));
  };

  return {
    reserved: () => reserved,
    keyPolicyDenied: () => keyPolicyDenied,
    async apply(group, candidate = { action: 'remediate' }) {
      const record = (outcome: GroupOutcome) => recorder.record(withMoveFrom(outcome, candidate));
      try {
        await decideAndCall(group, candidate, record);
      } catch (error) {
        // A failure explained by the key going bad is the key's problem, not the group's.
        if (await health.isKeyFailure(error)) {
          const { logGroupName } = group;
          return record({
            outcome: 'skipped',
            logGroupName,
            reason: 'key-unusable',
            message: health.reason(),
          });
        }
        const { outcome, keyPolicy } = classifyGroupFailure(error, group, key);
        if (keyPolicy) keyPolicyDenied = true;
        record(outcome);
      }
    },
  };
}

type RecordOutcome = (outcome: GroupOutcome) => void;

/** A group that was to move and did not stays on its key: the outcome says which, and why it was to move. */
function withMoveFrom(outcome: GroupOutcome, candidate: Candidate): GroupOutcome {
  if (candidate.action !== 'reassociate') return outcome;
  const from = { kmsKeyId: candidate.kmsKeyId, reason: candidate.reason };
  switch (outcome.outcome) {
    case 'skipped':
    case 'failed':
    case 'not-reached':
      return { ...outcome, from };
    default:
      return outcome;
  }
}

function doneOutcome(group: LogGroup, candidate: Candidate, dryRun: boolean, region: string): GroupOutcome {
  const { logGroupName } = group;
  if (candidate.action === 'remediate') {
    return dryRun ? { outcome: 'would-remediate', logGroupName } : { outcome: 'remediated', logGroupName };
  }
  const { kmsKeyId, reason } = candidate;
  // Only events ingested after the association use the new key (CloudWatch Logs User Guide, encrypt-log-data-kms.html).
  const message =
    `${dryRun ? 'Would move' : 'Moved'} from ${kmsKeyId} to the target key. Older events stay encrypted ` +
    `with ${kmsKeyId}: keep kms:Decrypt on it for ${logsServicePrincipal(region)}, or they can no longer be read.`;
  return { outcome: dryRun ? 'would-reassociate' : 'reassociated', logGroupName, reason, message, kmsKeyId };
}
