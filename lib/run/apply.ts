/**
 * Step 4: apply the decision for a candidate group: the exclude tag, the cap on remediations, the
 * key's health, the dry-run switch, and the association itself. Never throws: every candidate
 * ends in exactly one recorded outcome.
 */
import { classifyGroupFailure } from '../core/classify-failure';
import type { Config } from '../core/config';
import type { KeyAssessment } from '../core/key-check';
import { hasExcludeTag } from '../core/plan';
import type { Ports } from '../core/ports';
import type { RunIntent } from '../core/resume-token';
import type { LogGroup } from '../core/types';
import type { KeyHealth } from './key-health';
import type { Recorder } from './record';

export interface Applier {
  apply(group: LogGroup): Promise<void>;
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
  const { record } = recorder;
  let reserved = 0;
  let keyPolicyDenied = false;

  const decideAndCall = async (group: LogGroup): Promise<void> => {
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
    if (intent.dryRun) return record({ outcome: 'would-remediate', logGroupName });
    // CloudWatch Logs needs the key ARN here: a key id or an alias is rejected.
    await ports.logGroups.associateKmsKey(logGroupName, key.keyArn as string);
    health.succeeded();
    record({ outcome: 'remediated', logGroupName });
  };

  return {
    reserved: () => reserved,
    keyPolicyDenied: () => keyPolicyDenied,
    async apply(group) {
      try {
        await decideAndCall(group);
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
