/**
 * The key audit in motion: before a page's groups are decided, read each key among them that this
 * invocation has not read yet (DescribeKey, and GetKeyPolicy where the role may: at most two calls
 * per distinct key, never one per group), then give the pure decision each group's verdict, and
 * tally the groups of every key for the report's `keysInUse`.
 */
import type { Config } from '../core/config';
import { AwsCallError } from '../core/errors';
import {
  type AuditContext,
  auditKey,
  describeKeyInUse,
  type GroupKeyVerdict,
  isOtherAccountKey,
  judgeGroupOnKey,
  type KeyAudit,
  type KeyTally,
} from '../core/key-audit';
import type { KeyRules } from '../core/plan';
import type { Ports } from '../core/ports';
import type { GroupOutcome, KeyInUse, LogGroup } from '../core/types';
import type { AssessedKey } from './assess-key';

export interface KeyAuditor {
  /** Read the keys of these groups that were not read yet in this invocation. Never throws. */
  prepare(groups: readonly LogGroup[]): Promise<void>;
  rules: KeyRules;
  /** One entry per key seen, the target's first, given the run's outcomes (for the reassociations). */
  keysInUse(outcomes: readonly GroupOutcome[], dryRun: boolean): KeyInUse[];
}

export function createKeyAuditor(config: Readonly<Config>, ports: Ports, key: AssessedKey): KeyAuditor {
  const ctx: AuditContext = { region: config.region, account: key.account };
  const targetArn = targetArnOf(config, key);
  // The target was assessed once already, for the same region and account.
  const target = auditKey(targetArn, key.facts, ctx, ports.now(), key.assessment);
  const audits = new Map<string, Promise<KeyAudit>>();
  const settled = new Map<string, KeyAudit>();
  const tallies = new Map<string, KeyTally>([[targetArn, emptyTally()]]);

  const read = async (arn: string): Promise<KeyAudit> => {
    try {
      const facts = await ports.keys.readKeyInUse(arn, { readPolicy: !isOtherAccountKey(arn, ctx.account) });
      return auditKey(arn, facts, ctx, ports.now());
    } catch (error) {
      const code = error instanceof AwsCallError ? error.code : 'Error';
      return {
        status: 'unverified',
        arn,
        state: null,
        message: `The key could not be read (${code}): its health is unknown.`,
      };
    }
  };

  const verdictFor = (group: LogGroup, kmsKeyId: string): GroupKeyVerdict | undefined => {
    const tally = tallyOf(tallies, kmsKeyId);
    tally.groups++;
    const audit = kmsKeyId === targetArn ? target : settled.get(kmsKeyId);
    if (!config.keyAudit || audit === undefined) return undefined;
    const verdict = judgeGroupOnKey(audit, group.logGroupArn);
    if (verdict.verdict === 'at-risk') tally.atRisk++;
    if (verdict.verdict === 'unverified') tally.unverified++;
    return verdict;
  };

  return {
    async prepare(groups) {
      if (!config.keyAudit) return;
      const fresh = new Set(groups.map((g) => g.kmsKeyId).filter((id): id is string => !!id));
      for (const arn of fresh) {
        if (arn !== targetArn && !audits.has(arn)) {
          const audited = read(arn).then((audit) => {
            settled.set(arn, audit);
            return audit;
          });
          audits.set(arn, audited);
        }
      }
      await Promise.all([...fresh].map((arn) => audits.get(arn)));
    },
    rules: { targetArn, otherKeys: config.otherKeys, unhealthyKeys: config.unhealthyKeys, verdictFor },
    keysInUse(outcomes, dryRun) {
      const moved = countReassociated(outcomes);
      return [...tallies].map(([arn, tally]) => {
        const audit = arn === targetArn ? target : (settled.get(arn) ?? notAudited(arn));
        const withMoves = { ...tally, reassociated: moved.get(arn) ?? 0 };
        return describeKeyInUse(audit, withMoves, arn === targetArn ? 'target' : 'other', ctx, dryRun);
      });
    },
  };
}

/** The target's ARN as the groups carry it: resolved by DescribeKey, else as configured. */
function targetArnOf(config: Readonly<Config>, key: AssessedKey): string {
  return key.assessment.keyArn ?? config.kmsKeyId;
}

function notAudited(arn: string): KeyAudit {
  return {
    status: 'unverified',
    arn,
    state: null,
    message: 'Not audited (KEY_AUDIT=off): its health is unknown.',
  };
}

function emptyTally(): KeyTally {
  return { groups: 0, atRisk: 0, unverified: 0, reassociated: 0 };
}

function tallyOf(tallies: Map<string, KeyTally>, arn: string): KeyTally {
  let tally = tallies.get(arn);
  if (!tally) {
    tally = emptyTally();
    tallies.set(arn, tally);
  }
  return tally;
}

function countReassociated(outcomes: readonly GroupOutcome[]): Map<string, number> {
  const moved = new Map<string, number>();
  for (const o of outcomes) {
    if (o.outcome === 'reassociated' || o.outcome === 'would-reassociate') {
      moved.set(o.kmsKeyId, (moved.get(o.kmsKeyId) ?? 0) + 1);
    }
  }
  return moved;
}
